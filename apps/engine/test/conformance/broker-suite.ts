// The Broker port: what every adapter's queues must do, checked at the port.
import { afterEach, describe, expect, it } from 'vitest';
import type { Broker } from '../../src/index.js';
import type { Delivery, Settlement } from '../../src/worker/broker.js';
import { sleep, until, type Kind } from '../support.js';
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

    it('a concurrency limit caps live leases across connections; ack, retry, dead letter and lease expiry each free a slot', async () => {
      setup();
      const other = h.port('broker');
      const held = new Map<string, Delivery>();
      // Each delivery is settled and recovered by the connection that took it (on amqp only that one can ack it).
      const holder = new Map<string, Broker>();
      const take = async (from: Broker, leaseMs = 60_000): Promise<string[]> => {
        const { deliveries } = await from.reserve(['cq'], 10, leaseMs);
        for (const d of deliveries) {
          held.set(d.id, d);
          holder.set(d.id, from);
        }
        return deliveries.map((d) => d.id);
      };
      const settle = (s: Settlement): Promise<void> => holder.get(s.delivery.id)!.settle([s]);
      await broker.setConcurrency('cq', 2);
      await broker.enqueueBulk(['c1', 'c2', 'c3', 'c4', 'c5', 'c6'].map((id) => msg(id, 'cq')));
      await broker.enqueue(msg('o1', 'open'));
      expect(await take(broker)).toEqual(['c1', 'c2']);
      // Full: the second connection gets nothing from it, but other queues still give.
      expect((await other.reserve(['cq', 'open'], 10, 60_000)).deliveries.map((d) => d.id)).toEqual(['o1']);
      expect(await other.queueStats('cq')).toMatchObject({ ready: 4, leased: 2, concurrency: 2 });
      expect((await other.queueStats('open')).concurrency).toBeNull();

      await settle({ kind: 'ack', delivery: held.get('c1')! });
      expect(await take(other)).toEqual(['c3']);
      await settle({ kind: 'retry', delivery: held.get('c2')!, body: held.get('c2')!.body, eta: Date.now(), keepDeliveries: true });
      expect(await take(other)).toEqual(['c4']);
      await settle({ kind: 'dead', delivery: held.get('c3')!, reason: 'poison' });
      expect(await take(other, 1_000)).toEqual(['c5']);
      expect(await take(other)).toEqual([]);
      // c5's holder died: once its lease expires its slot is free again, before any recovery runs.
      await until(async () => (await take(other)).length > 0);
      expect(held.has('c6')).toBe(true);
      expect(await other.recoverExpired('cq', 5)).toEqual({ requeued: 1, dead: 0 });
      expect(await take(other)).toEqual([]);

      // At the limit, waiting does not spin on the queue's messages (the first wait may take a wake-up left
      // by the recovery; the next one blocks), and an ack wakes a blocked waiter at once.
      await other.waitForWork(['cq'], 300);
      const started = Date.now();
      await other.waitForWork(['cq'], 300);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      const woken = other.waitForWork(['cq'], 20_000).then(() => Date.now());
      await settle({ kind: 'ack', delivery: held.get('c4')! });
      const ackedAt = Date.now();
      expect((await woken) - ackedAt).toBeLessThan(5_000);
      expect(await take(other)).toEqual(['c2']);

      // Raising the limit live wakes a waiter and hands out one more; null removes the limit.
      const raised = other.waitForWork(['cq'], 20_000).then(() => Date.now());
      await broker.setConcurrency('cq', 3);
      const raisedAt = Date.now();
      expect((await raised) - raisedAt).toBeLessThan(5_000);
      expect(await take(other)).toEqual(['c5']);
      expect((await broker.queueStats('cq')).concurrency).toBe(3);
      await broker.enqueueBulk([msg('c7', 'cq'), msg('c8', 'cq')]);
      expect(await take(other)).toEqual([]);
      await broker.setConcurrency('cq', null);
      expect(await take(other)).toEqual(['c7', 'c8']);
      expect((await broker.queueStats('cq')).concurrency).toBeNull();
    });

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
  });
}
