// What only a Redis Cluster shows: each queue lives in a slot of its own, so
// anything that touches several queues at once must not be one command or one
// pipeline. A worker on queues spread over every master must block while idle
// (not spin on reserve) and wake when any of them gets work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from 'ioredis';
import { uniquePrefix } from '@lovage/test-support/redis';
import { deleteClusterKeysWithPrefix, startRedisCluster, type PrivateRedisCluster } from '@lovage/test-support/redis-cluster';
import { Lovage, type Broker } from '../../src/index.js';
import { requirePort } from '../../src/adapters/adapter.js';
import { createAdapter } from '../../src/adapters/create-adapter.js';
import { queueKeys, queuesKey, revokedFlagKey, wakeKey } from '../../src/adapters/redis/keys.js';
import { until } from '../support.js';

let cluster: PrivateRedisCluster;
let client: Cluster;
/** Six queue names, two on each master (found by asking the cluster where their slots live). */
let queues: string[];

async function slotOf(key: string): Promise<number> {
  return Number(await client.cluster('KEYSLOT', key));
}

/** host:port of the master serving `key`. */
async function masterOf(key: string): Promise<string> {
  const slot = await slotOf(key);
  const ranges = (await client.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
  const range = ranges.find(([from, to]) => slot >= from && slot <= to)!;
  return `${range[2][0]}:${range[2][1]}`;
}

/** Commands run on the masters so far, by name, without the ones this test's probes send. */
async function commandsRun(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const node of client.nodes('master')) {
    const stats = await node.info('commandstats');
    for (const [, name, calls] of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      if (name !== 'info' && !name!.startsWith('cluster')) out.set(name!, (out.get(name!) ?? 0) + Number(calls));
    }
  }
  return out;
}

/** Commands the masters ran so far: clients' commands and the ones scripts run inside. */
async function commandsProcessed(): Promise<number> {
  let total = 0;
  for (const node of client.nodes('master')) total += Number(/total_commands_processed:(\d+)/.exec(await node.info('stats'))?.[1] ?? 0);
  return total;
}

async function blockedClients(): Promise<number> {
  let total = 0;
  for (const node of client.nodes('master')) total += Number(/blocked_clients:(\d+)/.exec(await node.info('clients'))?.[1] ?? 0);
  return total;
}

beforeAll(async () => {
  cluster = await startRedisCluster();
  client = cluster.client();
  const perMaster = new Map<string, string[]>();
  for (let i = 0; [...perMaster.values()].flat().length < 6; i++) {
    const name = `work-${i}`;
    const list = perMaster.get(await masterOf(queueKeys('p:', name).ready)) ?? [];
    if (list.length < 2) list.push(name);
    perMaster.set(await masterOf(queueKeys('p:', name).ready), list);
  }
  queues = [...perMaster.values()].flat();
}, 120_000);

afterAll(async () => {
  client.disconnect();
  await cluster.stop();
});

describe('Redis adapter on a Redis Cluster', () => {
  it('the keys revoke, bulk enqueue and a blocking wait touch together are in different slots: one command or pipeline for them would fail', async () => {
    const slots = new Set(await Promise.all(queues.map((q) => slotOf(queueKeys('p:', q).marker))));
    expect(slots.size).toBe(6);
    expect(await slotOf(queuesKey('p:'))).not.toBe(await slotOf(queueKeys('p:', queues[0]!).ready));
    expect(await slotOf(revokedFlagKey('p:', 'x'))).not.toBe(await slotOf(queueKeys('p:', queues[0]!).revoked));
    // Which is why the wake-up lists share one slot.
    expect(new Set(await Promise.all(queues.map((q) => slotOf(wakeKey('p:', q)))))).toHaveLength(1);
  });

  describe('broker', () => {
    const prefix = uniquePrefix('cluster-broker');
    let broker: Broker;
    const adapter = () => createAdapter(cluster.url, prefix);
    let opened: ReturnType<typeof adapter> | undefined;
    beforeAll(() => {
      opened = adapter();
      broker = requirePort(opened, 'broker', 'this test');
    });
    afterAll(async () => {
      await opened?.close();
      await deleteClusterKeysWithPrefix(client, prefix);
    });

    it('enqueues in bulk across queues and revokes across queues on every master', async () => {
      await broker.enqueueBulk(queues.flatMap((q) => [{ id: `${q}-a`, queue: q, priority: 0, body: '{}' }, { id: `${q}-b`, queue: q, priority: 0, body: '{}' }]));
      expect(await broker.listQueues()).toEqual([...queues].sort());
      await broker.revoke(queues.map((q) => `${q}-b`), 60_000);
      const got = await broker.reserve(queues, 100, 10_000);
      expect(got.deliveries.map((d) => d.id).sort()).toEqual(queues.map((q) => `${q}-a`).sort());
      expect(got.revoked.map((d) => d.id).sort()).toEqual(queues.map((q) => `${q}-b`).sort());
      expect(await broker.isRevoked(`${queues[3]}-b`)).toBe(true);
    });

    type Step = (b: Broker, q: string) => Promise<unknown>;
    const leased = async (b: Broker, q: string, id: string, leaseMs: number) => {
      await b.enqueue({ id, queue: q, priority: 0, body: '{}' });
      return (await b.reserve([q], 1, leaseMs)).deliveries[0]!;
    };
    let held: Awaited<ReturnType<typeof leased>>;
    it.each<[string, Step | undefined, Step]>([
      ['an enqueue', undefined, (b, q) => b.enqueue({ id: `e-${q}`, queue: q, priority: 0, body: '{}' })],
      ['a bulk enqueue', undefined, (b, q) => b.enqueueBulk([{ id: `b-${q}`, queue: q, priority: 0, body: '{}' }])],
      [
        'a promotion of a due message',
        (b, q) => b.enqueue({ id: `p-${q}`, queue: q, priority: 0, body: '{}', eta: Date.now() + 60_000 }),
        (b, q) => b.promoteDue(q, Date.now() + 61_000),
      ],
      [
        'a retry due now',
        async (b, q) => (held = await leased(b, q, `r-${q}`, 60_000)),
        (b) => b.settle([{ kind: 'retry', delivery: held, body: '{}', eta: Date.now(), keepDeliveries: false }]),
      ],
      ['the recovery of an expired lease', (b, q) => leased(b, q, `x-${q}`, 1), (b, q) => b.recoverExpired(q, 5, Date.now() + 1_000)],
    ])('a wait on six queues over three masters blocks, and %s on the last queue ends it', async (_what, prepare, send) => {
      const target = queues[5]!;
      // Drain what earlier tests left (messages and pending wake-ups), so the wait has nothing to find at once.
      while ((await broker.reserve(queues, 100, 60_000)).deliveries.length > 0);
      await prepare?.(broker, target);
      await client.del(...queues.map((q) => wakeKey(prefix, q)));
      const started = Date.now();
      const waiting = broker.waitForWork(queues, 20_000);
      await until(async () => (await blockedClients()) >= 1);
      await send(broker, target);
      await waiting;
      // Ended by the wake-up, long before its 20 s timeout.
      expect(Date.now() - started).toBeLessThan(10_000);
      expect((await broker.reserve([target], 10, 10_000)).deliveries).toHaveLength(1);
    });
  });

  it('an idle worker on six queues over three masters blocks: few Redis commands per second, and it still picks up work at once', async () => {
    const prefix = uniquePrefix('cluster-idle');
    const app = new Lovage({ broker: cluster.url, prefix, logLevel: 'silent' });
    const picked: string[] = [];
    const task = app.task('cluster.noop', (tag: string) => {
      picked.push(tag);
      return tag;
    });
    const worker = app.worker({ queues, concurrency: 2 });
    try {
      await worker.start();
      // Idle means blocked in BLPOP: the worker's own blocking connection shows up.
      await until(async () => (await blockedClients()) >= 1);
      const before = await commandsRun();
      const processedBefore = await commandsProcessed();
      const from = Date.now();
      // A measuring window, not a wait for a state: the rate over three seconds of idling.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const processed = await commandsProcessed();
      const after = await commandsRun();
      const seconds = (Date.now() - from) / 1000;
      // Less the probes themselves: three INFOs per master.
      const perSecond = (processed - processedBefore - 9) / seconds;
      const byCommand = [...after]
        .map(([name, n]) => [name, (n - (before.get(name) ?? 0)) / seconds] as const)
        .filter(([, rate]) => rate > 0)
        .map(([name, rate]) => `${name} ${rate.toFixed(1)}`)
        .join(', ');
      console.log(`idle worker on ${queues.length} queues over 3 masters: ${perSecond.toFixed(1)} Redis commands/s, the calls inside scripts included (${byCommand})`);
      // Reserve once per queue and one BLPOP per second, plus maintenance (promote and
      // recover per queue, every 250 ms) and heartbeats: about 60/s. Spinning is thousands.
      expect(perSecond).toBeLessThan(150);

      for (const q of queues) {
        const result = await task.applyAsync([q], { queue: q });
        await expect(result.get({ timeout: 15_000 })).resolves.toBe(q);
      }
      expect(picked).toEqual(queues);
    } finally {
      await worker.close();
      await app.close();
      await deleteClusterKeysWithPrefix(client, prefix);
    }
  });
});
