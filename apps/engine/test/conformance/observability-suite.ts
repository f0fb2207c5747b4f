// Events, heartbeats, remote control and queue introspection: the same
// behaviour on every transport. Run from memory.test.ts and redis.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { Reject, currentTask, type LovageEvent, type Lovage, type TaskFailedError, type TaskProgressEvent } from '../../src/index.js';
import { harness, sleep, until, type Harness, type Kind } from '../support.js';

/** Reads the stream through a group until `stop` says enough, acknowledging each batch. */
async function collect(app: Lovage, group: string, stop: (events: LovageEvent[]) => boolean, timeoutMs = 10_000): Promise<LovageEvent[]> {
  const seen: LovageEvent[] = [];
  const signal = AbortSignal.timeout(timeoutMs);
  for await (const batch of app.events.subscribe({ group, consumer: 'c1', fromId: '0', blockMs: 50, signal })) {
    seen.push(...batch.events);
    await batch.ack();
    if (stop(seen)) break;
  }
  return seen;
}

const fast = { heartbeatInterval: 100, eventsFlushInterval: 2 } as const;

export function observability(kind: Kind): void {
  describe(`events, heartbeats, control and queues on the ${kind} adapter`, () => {
    let h: Harness;
    afterEach(async () => {
      await h.close();
    });
    const setup = (): Harness => (h = harness(kind));

    it('emits every transition of a success, a retry and a failure in order, with header and task fields', async () => {
      const app = setup().app(fast);
      const ok = app.task('ev.ok', (n: number) => n * 2);
      let tries = 0;
      const flaky = app.task('ev.flaky', () => {
        if (tries++ === 0) throw new Error('first try fails');
        return 'ok';
      }, { autoretryFor: [Error], retryBackoff: false, defaultRetryDelay: 10, maxRetries: 3 });
      const bad = app.task('ev.bad', () => {
        throw new TypeError('broken');
      });
      await h.worker(app, { hostname: 'w1@test' });
      const a = await ok.applyAsync([21], { priority: 6 });
      const b = await flaky.delay();
      const c = await bad.delay();
      await a.get({ timeout: 5_000 });
      await b.get({ timeout: 5_000 });
      await expect(c.get({ timeout: 5_000 })).rejects.toThrow('broken');
      const events = await collect(app, 'g-order', (s) => s.filter((e) => ['task-succeeded', 'task-failed'].includes(e.type)).length >= 3);
      // The producer emits task-sent once the enqueue's reply reaches it (a publisher confirm on
      // amqp), and a worker on another connection may take and even finish the task before that
      // (seen on Redis Cluster, where the queue and the stream live on different nodes): task-sent is
      // checked for presence, the worker's transitions for their order.
      const sentFirst = (types: string[]): string[] => (types.includes('task-sent') ? ['task-sent', ...types.filter((t) => t !== 'task-sent')] : types);
      const of = (id: string): string[] => sentFirst(events.filter((e) => 'id' in e && e.id === id).map((e) => e.type));
      expect(of(a.id)).toEqual(['task-sent', 'task-received', 'task-started', 'task-succeeded']);
      expect(of(b.id)).toEqual(['task-sent', 'task-received', 'task-started', 'task-retried', 'task-received', 'task-started', 'task-succeeded']);
      expect(of(c.id)).toEqual(['task-sent', 'task-received', 'task-started', 'task-failed']);
      const succeeded = events.find((e) => e.type === 'task-succeeded' && e.id === a.id);
      expect(succeeded).toMatchObject({ hostname: 'w1@test', pid: process.pid, name: 'ev.ok', queue: 'default', result: '42' });
      const sent = events.find((e) => e.type === 'task-sent' && e.id === a.id);
      expect(sent).toMatchObject({ args: '[21]', name: 'ev.ok', priority: 6, hostname: app.hostname() });
      // The worker's task-received carries the priority too: a monitor may see it before the producer's task-sent.
      expect(events.find((e) => e.type === 'task-received' && e.id === a.id)).toMatchObject({ args: '[21]', priority: 6, deliveries: 1, hostname: 'w1@test' });
      const failed = events.find((e) => e.type === 'task-failed');
      expect(failed).toMatchObject({ error: { name: 'TypeError', message: 'broken' } });
      const retried = events.find((e) => e.type === 'task-retried');
      expect(retried).toMatchObject({ attempt: 1, error: { message: 'first try fails' } });
      // Per producer, sequences strictly increase in stream order.
      const last = new Map<string, number>();
      for (const e of events) {
        expect(e.seq).toBeGreaterThan(last.get(e.hostname) ?? 0);
        last.set(e.hostname, e.seq);
      }
      expect(events.some((e) => e.type === 'worker-online' && e.hostname === 'w1@test')).toBe(true);
    });

    it('drops the progress and log reports of a handler still running after its hard time limit failed the task', async () => {
      const app = setup().app(fast);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let lateReported!: () => void;
      const reportedLate = new Promise<void>((resolve) => (lateReported = resolve));
      // It ignores its signal, so it runs on after the limit (the async pool cannot stop a handler).
      const stubborn = app.task('ev.stubborn', async () => {
        const task = currentTask();
        task.progress(0.1);
        await released;
        task.progress(0.9);
        task.log('too late');
        lateReported();
      }, { timeLimit: 100 });
      const marker = app.task('ev.marker', () => 'after');
      await h.worker(app, { hostname: 'w1@test' });
      const r = await stubborn.delay();
      const err = await r.get({ timeout: 5_000 }).catch((e: unknown) => e);
      expect((err as TaskFailedError).remoteName).toBe('TimeLimitExceeded');
      release();
      await reportedLate;
      // The worker's events keep their order, so the marker's success comes after anything the late reports emitted.
      const m = await marker.delay();
      await m.get({ timeout: 5_000 });
      const events = await collect(app, 'g-late', (seen) => seen.some((e) => e.type === 'task-succeeded' && e.id === m.id));
      const mine = events.filter((e) => 'id' in e && e.id === r.id);
      expect(mine.filter((e): e is TaskProgressEvent => e.type === 'task-progress').map((e) => e.progress)).toEqual([0.1]);
      expect(mine.map((e) => e.type)).toContain('task-failed');
      expect(mine.map((e) => e.type)).not.toContain('task-log');
    });

    it('emits task-rejected for dead-lettered messages and task-revoked for revoked ones', async () => {
      const app = setup().app(fast);
      const rejecting = app.task('ev.reject', () => {
        throw new Reject('bad input');
      });
      const later = app.task('ev.later', () => 1);
      const r = await rejecting.delay();
      const v = await later.applyAsync([], { countdown: 200 });
      await app.control.revoke(v.id);
      const worker = await h.worker(app, { hostname: 'w-revoke@test' });
      await until(async () => (await app.queues.stats('default')).dead === 1);
      const events = await collect(app, 'g-reject', (s) => s.some((e) => e.type === 'task-rejected') && s.some((e) => e.type === 'task-revoked'));
      expect(events.find((e) => e.type === 'task-rejected')).toMatchObject({ id: r.id, deadLettered: true, reason: 'rejected: bad input' });
      // Emitted by the worker that dropped the revoked message when its ETA came.
      expect(events.find((e) => e.type === 'task-revoked')).toMatchObject({ id: v.id, name: 'ev.later', hostname: worker.hostname, expired: false });
      expect(await v.state()).toBe('REVOKED');
    });

    it('redelivers unacknowledged events to a restarted consumer, then continues with new ones', async () => {
      const app = setup().app(fast);
      for (let i = 0; i < 5; i++) app.events.emit({ type: 'beat-leadership', beat: `b${i}`, role: 'leader', at: new Date().toISOString() });
      await app.events.flush();
      // First reader takes a batch and "crashes" before acknowledging.
      const first = app.events.subscribe({ group: 'g-resume', consumer: 'mon', fromId: '0', blockMs: 50 });
      const got = await first.next();
      expect(got.value?.events).toHaveLength(5);
      await first.return(undefined);
      app.events.emit({ type: 'beat-leadership', beat: 'b5', role: 'standby', at: new Date().toISOString() });
      await app.events.flush();
      const again: { beat: string; redelivered: boolean }[] = [];
      for await (const batch of app.events.subscribe({ group: 'g-resume', consumer: 'mon', blockMs: 50, signal: AbortSignal.timeout(5_000) })) {
        for (const e of batch.events) if (e.type === 'beat-leadership') again.push({ beat: e.beat, redelivered: batch.redelivered });
        await batch.ack();
        if (again.length >= 6) break;
      }
      expect(again.map((e) => e.beat)).toEqual(['b0', 'b1', 'b2', 'b3', 'b4', 'b5']);
      expect(again.map((e) => e.redelivered)).toEqual([true, true, true, true, true, false]);
    });

    it('emits nothing when events are off', async () => {
      const app = setup().app({ ...fast, events: false });
      const t = app.task('ev.off', () => 1);
      await h.worker(app);
      await (await t.delay()).get({ timeout: 5_000 });
      await app.events.flush();
      expect(await app.events.lastId()).toBe('0-0');
    });

    it('tails new events without a group', async () => {
      const app = setup().app(fast);
      const tail = app.events.tail({ blockMs: 50 });
      const next = tail.next();
      await sleep(30);
      app.events.emit({ type: 'beat-leadership', beat: 'tailed', role: 'leader', at: new Date().toISOString() });
      const batch = await next;
      expect(batch.value?.[0]).toMatchObject({ type: 'beat-leadership', beat: 'tailed' });
      await tail.return(undefined);
    });

    it('lists live workers from heartbeats and drops a cleanly stopped one at once, with worker-offline', async () => {
      const app = setup().app(fast);
      const w1 = await h.worker(app, { hostname: 'hb-1', queues: ['a', 'b'], concurrency: 3 });
      await h.worker(app, { hostname: 'hb-2' });
      const workers = await app.control.workers();
      expect(workers.map((w) => w.hostname)).toEqual(['hb-1', 'hb-2']);
      const first = workers[0]!;
      expect(first.heartbeat).toMatchObject({ hostname: 'hb-1', pid: process.pid, queues: ['a', 'b'], pool: { kind: 'async', size: 3 }, software: { name: 'lovage' } });
      const beatAt = first.lastHeartbeat;
      await until(async () => ((await app.control.workers())[0]?.lastHeartbeat ?? 0) > beatAt, 2_000);
      await w1.close();
      expect((await app.control.workers()).map((w) => w.hostname)).toEqual(['hb-2']);
      const events = await collect(app, 'g-hb', (s) => s.some((e) => e.type === 'worker-offline'));
      const types = events.filter((e) => e.hostname === 'hb-1').map((e) => e.type);
      expect(types[0]).toBe('worker-online');
      expect(types).toContain('worker-heartbeat');
      expect(types.at(-1)).toBe('worker-offline');
    });

    describe('remote control with two workers', () => {
      /** Ends the running ctl.hold tasks: they stay active until the test has inspected them. */
      let release: () => void = () => undefined;
      async function two(): Promise<Lovage> {
        const app = setup().app(fast);
        const released = new Promise<void>((resolve) => (release = resolve));
        app.task('ctl.hold', async (label: string) => {
          await released;
          return label;
        });
        await h.worker(app, { hostname: 'alpha', concurrency: 2 });
        await h.worker(app, { hostname: 'beta', concurrency: 2 });
        return app;
      }

      it('ping reaches every worker, or only the destinations named', async () => {
        const app = await two();
        expect(await app.control.ping()).toEqual({ alpha: { ok: 'pong' }, beta: { ok: 'pong' } });
        const started = Date.now();
        expect(await app.control.ping({ destination: ['beta'], timeout: 3_000 })).toEqual({ beta: { ok: 'pong' } });
        expect(Date.now() - started).toBeLessThan(2_000);
        expect(await app.control.ping({ destination: 'nobody', timeout: 100 })).toEqual({});
      });

      it('inspect reports active, reserved, scheduled, revoked, registered, stats, conf and active queues', async () => {
        const app = await two();
        const r = await app.sendTask('ctl.hold', ['held']);
        await until(async () => Object.values(await app.control.inspect().active()).flat().length === 1);
        const active = await app.control.inspect().active();
        const holder = Object.keys(active).find((k) => active[k]!.length === 1)!;
        expect(active[holder]![0]).toMatchObject({ id: r.id, name: 'ctl.hold', args: '["held"]', hostname: holder });
        expect(typeof active[holder]![0]!.startedAt).toBe('number');
        const only = app.control.inspect({ destination: ['alpha'] });
        expect(Object.keys(await only.reserved())).toEqual(['alpha']);
        expect(await only.scheduled()).toEqual({ alpha: [] });
        expect(await only.registered()).toEqual({ alpha: ['ctl.hold'] });
        expect(await only.activeQueues()).toEqual({ alpha: [{ name: 'default' }] });
        const stats = await only.stats();
        expect(stats.alpha).toMatchObject({ hostname: 'alpha', pool: { kind: 'async', size: 2 }, prefetch: 4 });
        const conf = await only.conf();
        expect(conf.alpha).toMatchObject({ defaultQueue: 'default', prefix: h.prefix });
        await app.control.revoke('some-id');
        await until(async () => (await only.revoked()).alpha?.includes('some-id') === true);
        release();
        expect(await r.get({ timeout: 10_000 })).toBe('held');
      });

      it('revoke with terminate stops a running task on the worker that holds it and is acknowledged', async () => {
        const app = setup().app(fast);
        const stuck = app.task('ctl.stuck', () => new Promise(() => undefined));
        await h.worker(app, { hostname: 'alpha', terminateGrace: 50 });
        await h.worker(app, { hostname: 'beta', terminateGrace: 50 });
        const r = await stuck.delay();
        await until(async () => Object.values(await app.control.inspect().active()).flat().length === 1);
        const replies = await app.control.revokeAndWait(r.id, { terminate: true });
        expect(Object.keys(replies).sort()).toEqual(['alpha', 'beta']);
        expect(replies.alpha).toMatchObject({ ok: expect.stringContaining(r.id) as string });
        expect(await r.state()).toBe('REVOKED');
        await until(async () => Object.values(await app.control.inspect().active()).flat().length === 0);
      });

      it('rateLimit and timeLimit apply only on the destination, and name unknown tasks in an error', async () => {
        const app = await two();
        expect(await app.control.rateLimit('ctl.hold', '1/m', { destination: ['alpha'] })).toEqual({ alpha: { ok: 'new rate limit set for ctl.hold: 1/m' } });
        expect(await app.control.timeLimit('ctl.hold', { soft: 50, hard: 100 }, { destination: ['beta'] })).toEqual({ beta: { ok: 'time limits set for ctl.hold' } });
        const stats = await app.control.inspect().stats();
        expect(stats.alpha!.rateLimits).toEqual({ 'ctl.hold': '1/m' });
        expect(stats.beta!.rateLimits).toEqual({});
        expect(stats.beta!.timeLimits).toEqual({ 'ctl.hold': { soft: 50, hard: 100 } });
        expect(await app.control.rateLimit('no.such', '1/s', { destination: 'alpha' })).toEqual({ alpha: { error: 'unknown task no.such' } });
      });

      it('poolGrow and poolShrink resize the pool of the destination only', async () => {
        const app = await two();
        expect(await app.control.poolGrow(3, { destination: ['alpha'] })).toEqual({ alpha: { ok: 'pool size is now 5' } });
        expect(await app.control.poolShrink(1, { destination: ['beta'] })).toEqual({ beta: { ok: 'pool size is now 1' } });
        const stats = await app.control.inspect().stats();
        expect(stats.alpha!.pool.size).toBe(5);
        expect(stats.beta!.pool.size).toBe(1);
      });

      it('addConsumer and cancelConsumer change the queues a destination consumes', async () => {
        const app = await two();
        const t = app.task('ctl.where', () => 'done', { queue: 'extra' });
        expect(await app.control.addConsumer('extra', { destination: ['beta'] })).toEqual({ beta: { ok: 'now consuming from extra' } });
        const r = await t.delay();
        await r.get({ timeout: 5_000 });
        expect((await app.asyncResult(r.id).info())?.worker).toBe('beta');
        expect(await app.control.inspect({ destination: 'beta' }).activeQueues()).toEqual({ beta: [{ name: 'default' }, { name: 'extra' }] });
        expect(await app.control.cancelConsumer('extra', { destination: ['beta'] })).toEqual({ beta: { ok: 'no longer consuming from extra' } });
        expect(await app.control.cancelConsumer('default', { destination: ['alpha'] })).toEqual({ alpha: { error: 'default is the only queue this worker consumes' } });
      });

      it('shutdown stops only the destination, which goes offline at once', async () => {
        const app = await two();
        expect(await app.control.shutdown({ destination: ['alpha'] })).toEqual({ alpha: { ok: 'shutting down' } });
        await until(async () => (await app.control.workers()).length === 1, 5_000);
        expect((await app.control.workers()).map((w) => w.hostname)).toEqual(['beta']);
        expect(Object.keys(await app.control.ping())).toEqual(['beta']);
      });
    });

    it('reports queue counts, head age and rates, and requeues or drops dead letters', async () => {
      const app = setup().app(fast);
      let reject = true;
      const t = app.task('q.job', () => {
        if (reject) throw new Reject('no');
        return 1;
      });
      const later = app.task('q.later', () => 1, { queue: 'other' });
      await t.bulkApply([[], [], [], []] as [][]);
      await later.applyAsync([], { countdown: 60_000 });
      await later.delay();
      const other = await app.queues.stats('other');
      expect(other).toMatchObject({ name: 'other', ready: 1, delayed: 1, reserved: 0, dead: 0 });
      // RabbitMQ has no peek: reading the head and putting it back would mark it redelivered, so amqp reports no head age.
      if (kind === 'amqp') expect(other.oldestAgeMs).toBeNull();
      else expect(other.oldestAgeMs).toBeGreaterThanOrEqual(0);
      expect(other.history.enqueued[Math.floor(Date.now() / 60_000)]).toBe(2);
      const w = await h.worker(app);
      await until(async () => (await app.queues.stats('default')).dead === 4);
      const dead = await app.queues.deadLetters('default');
      expect(dead.map((d) => d.task)).toEqual(['q.job', 'q.job', 'q.job', 'q.job']);
      expect((await app.queues.list()).map((q) => q.name)).toEqual(['default', 'other']);
      expect(await app.queues.dropDead('default', [dead[0]!.id])).toBe(1);
      reject = false;
      const progress: number[] = [];
      expect(await app.queues.requeueDead('default', undefined, { onProgress: (done) => progress.push(done) })).toBe(3);
      expect(progress.at(-1)).toBe(3);
      await until(() => w.stats.succeeded === 3);
      const stats = await app.queues.stats('default');
      expect(stats).toMatchObject({ ready: 0, dead: 0, oldestAgeMs: null });
      await until(async () => (await app.queues.stats('default')).history.dequeued[Math.floor(Date.now() / 60_000)] !== undefined);
      await w.close();
      expect(await app.queues.purge('other')).toBe(2);
      expect(await app.queues.stats('other')).toMatchObject({ ready: 0, delayed: 0 });
    });
  });
}
