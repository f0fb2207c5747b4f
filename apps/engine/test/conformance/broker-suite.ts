// The Broker port: what every adapter's queues must do, checked at the port.
import { afterEach, describe, expect, it } from 'vitest';
import { UnsupportedByAdapterError, type Broker } from '../../src/index.js';
import { sleep, type Kind } from '../support.js';
import { portHarness, type PortHarness } from './ports.js';

const msg = (id: string, queue = 'q', priority = 0, eta?: number) => ({ id, queue, priority, eta, body: `{"id":"${id}"}` });

export function brokerConformance(kind: Kind): void {
  describe(`broker port on the ${kind} adapter`, () => {
    let h: PortHarness;
    let broker: Broker;
    afterEach(async () => {
      await h.close();
    });
    const setup = (): Broker => {
      h = portHarness(kind, 'broker');
      broker = h.port('broker');
      return broker;
    };

    it('hands out highest priority first, FIFO within a priority, and a repeated id is one message', async () => {
      setup();
      await broker.enqueueBulk([msg('low-1'), msg('high', 'q', 9), msg('low-2'), msg('mid', 'q', 5)]);
      await broker.enqueue(msg('low-1'));
      const got = await broker.reserve(['q'], 10, 10_000);
      expect(got.deliveries.map((d) => d.id)).toEqual(['high', 'mid', 'low-1', 'low-2']);
      expect(got.deliveries.every((d) => d.deliveries === 1)).toBe(true);
    });

    it('keeps delayed messages until promoted', async () => {
      setup();
      await broker.enqueue(msg('later', 'q', 0, Date.now() + 60_000));
      expect((await broker.queueStats('q')).delayed).toBe(1);
      expect(await broker.promoteDue('q')).toBe(0);
      expect(await broker.promoteDue('q', Date.now() + 61_000)).toBe(1);
      expect((await broker.reserve(['q'], 1, 10_000)).deliveries.map((d) => d.id)).toEqual(['later']);
    });

    it('settles a batch of acks, retries and dead letters in one call', async () => {
      setup();
      await broker.enqueueBulk([msg('a'), msg('r-now'), msg('r-later'), msg('park'), msg('d')]);
      const { deliveries } = await broker.reserve(['q'], 10, 10_000);
      const by = new Map(deliveries.map((d) => [d.id, d]));
      await broker.settle([
        { kind: 'ack', delivery: by.get('a')! },
        { kind: 'retry', delivery: by.get('r-now')!, body: '{"id":"r-now","v":2}', eta: Date.now(), keepDeliveries: false },
        { kind: 'retry', delivery: by.get('r-later')!, body: '{}', eta: Date.now() + 60_000, keepDeliveries: false },
        { kind: 'retry', delivery: by.get('park')!, body: by.get('park')!.body, eta: Date.now(), keepDeliveries: true },
        { kind: 'dead', delivery: by.get('d')!, reason: 'poison' },
      ]);
      const stats = await broker.queueStats('q');
      expect(stats).toMatchObject({ ready: 2, delayed: 1, leased: 0, dead: 1 });
      expect(Object.values(stats.dequeuedByMinute ?? {}).reduce((a, b) => a + b, 0)).toBe(1);
      const again = await broker.reserve(['q'], 10, 10_000);
      const seen = new Map(again.deliveries.map((d) => [d.id, d]));
      // A retry carries its new body and restarts the count; a parked message keeps its count.
      expect(seen.get('r-now')).toMatchObject({ body: '{"id":"r-now","v":2}', deliveries: 1 });
      expect(seen.get('park')?.deliveries).toBe(1);
      expect((await broker.deadLetters('q')).map((d) => [d.id, d.reason])).toEqual([['d', 'poison']]);
    });

    it('expires leases back to the queue with a delivery count, then dead-letters after maxDeliveries; renewal keeps a lease', async () => {
      setup();
      await broker.enqueue(msg('m1', 'leases'));
      for (let n = 1; n <= 3; n++) {
        const got = await broker.reserve(['leases'], 10, 30);
        expect(got.deliveries.map((d) => d.deliveries)).toEqual([n]);
        await sleep(50);
        expect(await broker.recoverExpired('leases', 3)).toEqual(n < 3 ? { requeued: 1, dead: 0 } : { requeued: 0, dead: 1 });
      }
      expect((await broker.deadLetters('leases'))[0]?.reason).toBe('lease expired after 3 deliveries (maxDeliveries 3)');
      await broker.enqueue(msg('m2', 'leases'));
      const { deliveries } = await broker.reserve(['leases'], 1, 30);
      await broker.renewLeases(deliveries, 60_000);
      await sleep(50);
      expect(await broker.recoverExpired('leases', 3)).toEqual({ requeued: 0, dead: 0 });
    });

    it('drops revoked ids at reserve and reports them', async () => {
      setup();
      await broker.enqueueBulk([msg('keep'), msg('gone')]);
      await broker.revoke(['gone'], 60_000);
      expect(await broker.isRevoked('gone')).toBe(true);
      const got = await broker.reserve(['q'], 10, 10_000);
      expect(got.deliveries.map((d) => d.id)).toEqual(['keep']);
      expect(got.revoked.map((r) => r.id)).toEqual(['gone']);
    });

    it('shares a token bucket: one token, then a wait', async () => {
      setup();
      expect(await broker.takeToken('t', 1 / 1000, 1)).toBe(0);
      const wait = await broker.takeToken('t', 1 / 1000, 1);
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(1000);
    });

    it('lists queues, requeues and drops dead letters, purges', async () => {
      setup();
      await broker.enqueueBulk([msg('x1', 'dq'), msg('x2', 'dq'), msg('x3', 'other')]);
      const { deliveries } = await broker.reserve(['dq'], 10, 10_000);
      await broker.settle(deliveries.map((delivery) => ({ kind: 'dead' as const, delivery, reason: 'bad' })));
      expect(await broker.listQueues()).toEqual(expect.arrayContaining(['dq', 'other']));
      expect(await broker.requeueDead('dq', ['x1'], 10)).toBe(1);
      expect(await broker.dropDead('dq', undefined, 10)).toBe(1);
      expect(await broker.queueStats('dq')).toMatchObject({ ready: 1, dead: 0 });
      expect(await broker.purge('dq')).toBe(1);
      expect((await broker.queueStats('dq')).ready).toBe(0);
    });

    if (kind === 'amqp') {
      it('refuses to pause a queue with an error naming the adapter', async () => {
        setup();
        await expect(broker.setPaused('q', true)).rejects.toThrow(UnsupportedByAdapterError);
        await expect(broker.setPaused('q', true)).rejects.toThrow(/amqp adapter/);
        expect(await broker.pausedQueues(['q'])).toEqual([]);
      });
    } else {
      it('a paused queue takes messages but hands none out until resumed, as seen from a second connection', async () => {
        setup();
        const other = h.port('broker');
        await broker.enqueue(msg('before', 'pq'));
        await broker.enqueue(msg('other', 'open'));
        await broker.setPaused('pq', true);
        await other.enqueue(msg('after', 'pq'));
        expect(await other.queueStats('pq')).toMatchObject({ ready: 2, paused: true });
        expect((await other.queueStats('open')).paused).toBe(false);
        expect(await other.pausedQueues(['open', 'pq'])).toEqual(['pq']);
        // Only the open queue gives anything, and waiting on the paused one does not spin on its messages
        // (the first wait may take a wake-up the enqueue left; the next one blocks).
        expect((await other.reserve(['pq', 'open'], 10, 10_000)).deliveries.map((d) => d.id)).toEqual(['other']);
        await other.waitForWork(['pq'], 300);
        const started = Date.now();
        await other.waitForWork(['pq'], 300);
        expect(Date.now() - started).toBeGreaterThanOrEqual(250);
        expect((await other.reserve(['pq'], 10, 10_000)).deliveries).toEqual([]);
        // Resuming wakes a worker blocked on the queue at once.
        const waiting = other.waitForWork(['pq'], 20_000).then(() => Date.now());
        await broker.setPaused('pq', false);
        const resumedAt = Date.now();
        expect((await waiting) - resumedAt).toBeLessThan(5_000);
        expect((await broker.queueStats('pq')).paused).toBe(false);
        expect((await other.reserve(['pq'], 10, 10_000)).deliveries.map((d) => d.id)).toEqual(['before', 'after']);
      });
    }
  });
}
