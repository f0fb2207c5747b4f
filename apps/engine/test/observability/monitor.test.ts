// A monitor reading the event stream while workers run, on real Redis; and
// heartbeat-based offline detection with real worker processes.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix, uniquePrefix } from '@lovage/test-support/redis';
import { Lovage, type LovageEvent } from '../../src/index.js';
import { harness, redisUrl, until, type Harness } from '../support.js';
import { killAll, spawnWorker } from '../fault/child.js';

describe('event stream monitor on real Redis', () => {
  let h: Harness;
  afterEach(async () => {
    killAll();
    await h.close();
  });

  it('sees every transition of 10,000 tasks in order, at least once across a restart and exactly once after de-duplication', async () => {
    h = harness('redis');
    const producer = h.app({ eventsFlushInterval: 2 });
    const workerApp = h.app({ eventsFlushInterval: 2, heartbeatInterval: 200 });
    const monitorApp = h.app();
    const N = 10_000;
    const noop = producer.task('mon.noop', (i: number) => i);
    workerApp.task('mon.noop', (i: number) => i);
    // The group starts before anything is sent, so it sees everything.
    await monitorApp.eventLog().read({ group: 'monitor', consumer: 'm1', fromId: '$', count: 1, blockMs: 1 });

    const seen: LovageEvent[] = [];
    const perTask = (): number => new Set(seen.filter((e) => e.type === 'task-succeeded').map((e) => (e as { id: string }).id)).size;
    // First life: acknowledges batches, then "crashes" holding an unacknowledged batch.
    const first = monitorApp.events.subscribe({ group: 'monitor', consumer: 'm1', count: 300, blockMs: 100 });
    const w1 = await h.worker(workerApp, { hostname: 'mw-1', concurrency: 50, prefetch: 200 });
    const w2 = await h.worker(workerApp, { hostname: 'mw-2', concurrency: 50, prefetch: 200 });
    for (let i = 0; i < N; i += 1_000) await noop.bulkApply(Array.from({ length: 1_000 }, (_, j) => [i + j] as [number]));
    let lost = 0;
    for (;;) {
      const { value } = await first.next();
      if (!value) break;
      seen.push(...value.events);
      if (perTask() >= N / 3) {
        lost = value.events.length; // read, never acknowledged
        break;
      }
      await value.ack();
    }
    await first.return(undefined);
    expect(lost).toBeGreaterThan(0);

    // Second life, same consumer name: pending entries first, then the rest.
    let redelivered = 0;
    for await (const batch of monitorApp.events.subscribe({ group: 'monitor', consumer: 'm1', count: 1_000, blockMs: 100, signal: AbortSignal.timeout(60_000) })) {
      if (batch.redelivered) redelivered += batch.events.length;
      seen.push(...batch.events);
      await batch.ack();
      if (perTask() >= N) break;
    }
    expect(redelivered).toBe(lost);
    await until(() => w1.stats.processed + w2.stats.processed >= N);

    const unique = new Map<string, LovageEvent>();
    for (const e of seen) unique.set(`${e.hostname}|${e.pid}|${e.seq}`, e);
    expect(seen.length - unique.size).toBe(lost);
    const byTask = new Map<string, string[]>();
    for (const e of unique.values()) {
      if (!e.type.startsWith('task-')) continue;
      const id = (e as { id: string }).id;
      byTask.set(id, [...(byTask.get(id) ?? []), e.type]);
    }
    expect(byTask.size).toBe(N);
    // One process's events keep their order (the worker's received → started → succeeded). The
    // producer's task-sent travels in another app's batches, flushed on its own timer, so the stream
    // may hold it before or after the worker's (a consumer orders them by state, as the gateway does).
    for (const types of byTask.values()) {
      expect(types.filter((type) => type !== 'task-sent')).toEqual(['task-received', 'task-started', 'task-succeeded']);
      expect(types.filter((type) => type === 'task-sent')).toHaveLength(1);
    }
    // Per producer, sequence numbers are gap-free: nothing was lost in between.
    const seqs = new Map<string, number[]>();
    for (const e of unique.values()) seqs.set(`${e.hostname}|${e.pid}`, [...(seqs.get(`${e.hostname}|${e.pid}`) ?? []), e.seq]);
    for (const list of seqs.values()) {
      list.sort((a, b) => a - b);
      expect(list.at(-1)! - list[0]! + 1).toBe(list.length);
    }
  }, 120_000);
});

describe('heartbeats of real worker processes', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    killAll();
    for (const c of cleanups.splice(0)) await c();
  });

  it('marks a SIGKILLed worker offline within two intervals plus the margin, and a stopped one at once', async () => {
    const prefix = uniquePrefix('hb');
    const env = { LOVAGE_BROKER_URL: redisUrl, LOVAGE_PREFIX: prefix, LOVAGE_LOG_LEVEL: 'silent', LOVAGE_HEARTBEAT_INTERVAL: '200' };
    const app = new Lovage({ broker: redisUrl, prefix, logLevel: 'silent' });
    const client = new Redis(redisUrl);
    cleanups.push(async () => {
      await app.close();
      await deleteKeysWithPrefix(client, prefix);
      client.disconnect();
    });
    const a = spawnWorker(env, ['-n', 'proc-a']);
    const b = spawnWorker(env, ['-n', 'proc-b']);
    await Promise.all([a.ready, b.ready]);
    expect((await app.control.workers()).map((w) => w.hostname)).toEqual(['proc-a', 'proc-b']);
    // Control over real processes, with a destination filter.
    expect(await app.control.ping({ destination: ['proc-b'] })).toEqual({ 'proc-b': { ok: 'pong' } });
    const stats = await app.control.inspect().stats();
    expect(stats['proc-a']!.pid).toBe(a.child.pid);
    expect(stats['proc-b']!.heartbeatInterval).toBe(200);

    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    await until(async () => !(await app.control.workers()).some((w) => w.hostname === 'proc-a'), 5_000);
    const window = 200 * 2 + 500;
    expect(Date.now() - killedAt).toBeLessThan(window + 400);
    expect(Date.now() - killedAt).toBeGreaterThan(200);

    // A clean stop (remote shutdown) leaves the registry before the process exits.
    expect(await app.control.shutdown({ destination: 'proc-b' })).toEqual({ 'proc-b': { ok: 'shutting down' } });
    const stoppedAt = Date.now();
    await until(async () => (await app.control.workers()).length === 0, 5_000);
    expect(Date.now() - stoppedAt).toBeLessThan(window);
    expect(await b.exited).toBe(0);
  }, 60_000);
});
