// The conformance suite: every behaviour the app, worker and results promise,
// run unchanged against each transport. Nothing here knows which one it has.
import { afterEach, describe, expect, it } from 'vitest';
import {
  Reject,
  SerializationError,
  SoftTimeLimitExceeded,
  TaskFailedError,
  TaskRevokedError,
  TimeoutError,
  currentTask,
} from '../../src/index.js';
import { harness, sleep, until, type Harness, type Kind } from '../support.js';

class PaymentGatewayTimeout extends Error {
  override name = 'PaymentGatewayTimeout';
}

export function conformance(kind: Kind): void {
  describe(`conformance on the ${kind} adapter`, () => {
    let h: Harness;
    afterEach(async () => {
      await h.close();
    });
    const setup = (): Harness => (h = harness(kind));

    it('runs a delayed call and returns its typed value, dates round-tripping', async () => {
      const app = setup().app();
      const add = app.task('math.add', (a: number, b: number, when: Date) => ({ sum: a + b, year: when.getUTCFullYear(), when }));
      await h.worker(app);
      const when = new Date('2026-01-02T03:04:05.000Z');
      const result = await add.delay(2, 3, when);
      const value = await result.get({ timeout: 10_000 });
      expect(value.sum).toBe(5);
      expect(value.year).toBe(2026);
      expect(value.when).toEqual(when);
      expect(await result.state()).toBe('SUCCESS');
      const info = await app.asyncResult(result.id).info();
      expect(info?.attempts).toHaveLength(1);
    });

    it('passes kwargs as one trailing object argument and as currentTask().kwargs; args stay positional', async () => {
      const app = setup().app();
      const greet = app.task('users.greet', (name: string, options?: { loud?: boolean; at?: Date }) => {
        const ctx = currentTask();
        return { name, options, args: ctx.args, kwargs: ctx.kwargs };
      });
      await h.worker(app);
      const at = new Date('2026-02-03T04:05:06.000Z');
      const value = await (await greet.applyAsync(['ada'], { kwargs: { loud: true, at } })).get({ timeout: 10_000 });
      expect(value).toEqual({ name: 'ada', options: { loud: true, at }, args: ['ada'], kwargs: { loud: true, at } });
      const plain = await (await app.sendTask('users.greet', ['bob'], { kwargs: {} })).get({ timeout: 10_000 });
      expect(plain).toEqual({ name: 'bob', args: ['bob'], kwargs: {} });
    });

    it('throws SerializationError at the call site naming the argument path', () => {
      const app = setup().app();
      const send = app.task('users.send', (_payload: unknown) => 'ok');
      expect(() => send.delay({ user: { callback: () => 1 } })).toThrow(SerializationError);
      try {
        void send.delay({ user: { callback: () => 1 } });
      } catch (err) {
        expect((err as SerializationError).path).toBe('args[0].user.callback');
      }
    });

    it('delivers higher priorities first within a queue, FIFO within a priority', async () => {
      const app = setup().app();
      const seen: string[] = [];
      const t = app.task('prio.record', (label: string) => void seen.push(label));
      await t.applyAsync(['low-1'], { priority: 0 });
      await t.applyAsync(['high'], { priority: 9 });
      await t.applyAsync(['low-2'], { priority: 0 });
      await t.applyAsync(['mid'], { priority: 5 });
      await h.worker(app, { concurrency: 1, prefetch: 1 });
      await until(() => seen.length === 4);
      expect(seen).toEqual(['high', 'mid', 'low-1', 'low-2']);
    });

    it('keeps countdown tasks in the delayed set until due, then runs them', async () => {
      const app = setup().app();
      const t = app.task('later.run', () => Date.now());
      await h.worker(app);
      const sent = Date.now();
      const result = await t.applyAsync([], { countdown: 400 });
      const stats = await app.broker().queueStats('default');
      expect(stats.delayed).toBe(1);
      const ranAt = await result.get({ timeout: 10_000 });
      expect(ranAt - sent).toBeGreaterThanOrEqual(380);
    });

    it('reports a failure with the remote error name, message and stack', async () => {
      const app = setup().app();
      const t = app.task('fail.now', () => {
        throw new PaymentGatewayTimeout('gateway took too long');
      }, { maxRetries: 0 });
      await h.worker(app);
      const result = await t.delay();
      const err = await result.get({ timeout: 10_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TaskFailedError);
      expect((err as TaskFailedError).remoteName).toBe('PaymentGatewayTimeout');
      expect((err as TaskFailedError).remoteMessage).toBe('gateway took too long');
      expect((err as TaskFailedError).remoteStack).toContain('PaymentGatewayTimeout');
      expect(await result.state()).toBe('FAILURE');
    });

    it('retries through currentTask().retry() and records every attempt', async () => {
      const app = setup().app();
      let calls = 0;
      const pay = app.task('payments.call', (orderId: number) => {
        calls++;
        try {
          if (calls < 3) throw new PaymentGatewayTimeout(`timeout ${calls}`);
          return `paid ${orderId}`;
        } catch (exc) {
          throw currentTask().retry({ exc, countdown: 50 });
        }
      }, { maxRetries: 3 });
      const worker = await h.worker(app);
      const result = await pay.delay(7);
      expect(await result.get({ timeout: 10_000 })).toBe('paid 7');
      const info = await result.info();
      expect(info?.attempts.map((a) => a.outcome)).toEqual(['RETRY', 'RETRY', 'SUCCESS']);
      expect(info?.attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
      expect(info?.attempts[0]?.error?.name).toBe('PaymentGatewayTimeout');
      expect(info?.attempts[0]?.error?.message).toBe('timeout 1');
      expect(info?.attempts[0]?.error?.stack).toContain('PaymentGatewayTimeout');
      expect(info?.attempts[0]?.hostname).toBe(worker.hostname);
      expect(info?.attempts[0]?.nextRetryAt).toBeDefined();
      expect(Date.parse(info!.attempts[1]!.startedAt)).toBeGreaterThanOrEqual(Date.parse(info!.attempts[0]!.nextRetryAt!) - 5);
      expect(info?.retries).toBe(2);
    });

    it('autoretries listed errors with backoff and fails after maxRetries with the last error', async () => {
      const app = setup().app();
      let calls = 0;
      const flaky = app.task('flaky.call', function (this: { retries: number }) {
        calls++;
        throw new PaymentGatewayTimeout(`try ${this.retries}`);
      }, { autoretryFor: [PaymentGatewayTimeout], maxRetries: 2, retryBackoff: 20, retryJitter: false });
      await h.worker(app);
      const result = await flaky.delay();
      const err = await result.get({ timeout: 10_000 }).catch((e: unknown) => e);
      expect((err as TaskFailedError).remoteMessage).toBe('try 2');
      expect(calls).toBe(3);
      const info = await result.info();
      expect(info?.attempts.map((a) => a.outcome)).toEqual(['RETRY', 'RETRY', 'FAILURE']);
      const gap = Date.parse(info!.attempts[1]!.nextRetryAt!) - Date.parse(info!.attempts[1]!.endedAt);
      expect(gap).toBeGreaterThanOrEqual(39); // 20ms × 2^1
    });

    it('stores nothing for ignoreResult tasks or with taskIgnoreResult', async () => {
      const app = setup().app();
      const ran: string[] = [];
      const quiet = app.task('quiet.one', () => void ran.push('quiet'), { ignoreResult: true });
      await h.worker(app);
      const r1 = await quiet.delay();
      await until(() => ran.length === 1);
      await sleep(50);
      expect(await r1.state()).toBe('PENDING');

      const app2 = h.app({ taskIgnoreResult: true, defaultQueue: 'other' });
      const quiet2 = app2.task('quiet.two', () => void ran.push('two'));
      await h.worker(app2);
      const r2 = await quiet2.delay();
      await until(() => ran.length === 2);
      await sleep(50);
      expect(await r2.state()).toBe('PENDING');
    });

    it('never starts a revoked queued task and reports REVOKED', async () => {
      const app = setup().app();
      const ran: string[] = [];
      const t = app.task('revoke.queued', (x: string) => void ran.push(x));
      const doomed = await t.delay('doomed');
      const later = await t.applyAsync(['delayed-doomed'], { countdown: 200 });
      await doomed.revoke();
      await app.control.revoke(later.id);
      const kept = await t.delay('kept');
      const worker = await h.worker(app);
      await kept.get({ timeout: 10_000 });
      // The worker's own path: the broker dropped both at reserve and the worker
      // announced each with task-revoked (the revoker's direct state write alone
      // would make the states REVOKED even if no worker honoured the revoke).
      const revokedBy = new Map<string, string>();
      for await (const batch of app.events.subscribe({ group: 'g-revoked', consumer: 'c', fromId: '0', blockMs: 50, signal: AbortSignal.timeout(10_000) })) {
        for (const e of batch.events) if (e.type === 'task-revoked') revokedBy.set(e.id, e.hostname);
        if (revokedBy.has(doomed.id) && revokedBy.has(later.id)) break;
      }
      expect(revokedBy.get(doomed.id)).toBe(worker.hostname);
      expect(revokedBy.get(later.id)).toBe(worker.hostname);
      expect(ran).toEqual(['kept']);
      await expect(doomed.get({ timeout: 1_000 })).rejects.toBeInstanceOf(TaskRevokedError);
      expect(await later.state()).toBe('REVOKED');
    });

    it('aborts a running task on revoke and ends it REVOKED', async () => {
      const app = setup().app();
      let started = false;
      let aborted = false;
      const t = app.task('revoke.running', async () => {
        started = true;
        const signal = currentTask().signal;
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        aborted = signal.reason instanceof TaskRevokedError;
        return 'aborted-cleanly';
      });
      const worker = await h.worker(app);
      const result = await t.delay();
      await until(() => started);
      await result.revoke({ terminate: true });
      await expect(result.get({ timeout: 5_000 })).rejects.toBeInstanceOf(TaskRevokedError);
      // The revoker writes REVOKED at once; the worker's own record follows, with
      // the run it stopped: proof that the worker aborted it, not just the write.
      await until(async () => (await result.info())?.attempts.at(-1)?.outcome === 'REVOKED');
      const info = await result.info();
      expect(info).toMatchObject({ state: 'REVOKED', worker: worker.hostname });
      expect(info?.attempts.at(-1)?.hostname).toBe(worker.hostname);
      expect(aborted).toBe(true);
    });

    it('ends a task whose expiry passed before it started as REVOKED (expired), never run', async () => {
      const app = setup().app();
      let ran = false;
      const t = app.task('expiring.task', () => void (ran = true));
      const result = await t.applyAsync([], { expires: 50 });
      await sleep(120);
      await h.worker(app);
      const err = await result.get({ timeout: 5_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TaskRevokedError);
      expect((err as TaskRevokedError).reason).toBe('expired');
      expect(ran).toBe(false);
    });

    it('fires the signal on the soft time limit with a catchable SoftTimeLimitExceeded', async () => {
      const app = setup().app();
      const t = app.task('soft.limit', async () => {
        const signal = currentTask().signal;
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        return signal.reason instanceof SoftTimeLimitExceeded ? 'cleaned up' : 'other';
      }, { softTimeLimit: 100 });
      await h.worker(app);
      expect(await (await t.delay()).get({ timeout: 5_000 })).toBe('cleaned up');
    });

    it('fails a task past its hard time limit with TimeLimitExceeded', async () => {
      const app = setup().app();
      const t = app.task('hard.limit', () => sleep(5_000), { timeLimit: 100 });
      await h.worker(app);
      const err = await (await t.delay()).get({ timeout: 5_000 }).catch((e: unknown) => e);
      expect((err as TaskFailedError).remoteName).toBe('TimeLimitExceeded');
    });

    it('holds a rate limit across all workers, parking excess tasks instead of dropping them', async () => {
      const app = setup().app();
      const starts: number[] = [];
      const t = app.task('limited.call', () => void starts.push(Date.now()), { rateLimit: '10/s' });
      await h.worker(app, { concurrency: 4 });
      // A second worker (its own app, as in another process) shares the same bucket.
      const other = h.app();
      other.task('limited.call', () => void starts.push(Date.now()), { rateLimit: '10/s' });
      await h.worker(other, { concurrency: 4 });
      const results = await t.bulkApply([[], [], [], [], [], []]);
      await Promise.all(results.map((r) => r.get({ timeout: 10_000 })));
      starts.sort((a, b) => a - b);
      expect(starts).toHaveLength(6);
      expect(starts[5]! - starts[0]!).toBeGreaterThanOrEqual(400);
    });

    it('times out get() with TimeoutError and forgets results', async () => {
      const app = setup().app();
      const t = app.task('never.run', () => 1);
      const result = await t.delay();
      await expect(result.get({ timeout: 100 })).rejects.toBeInstanceOf(TimeoutError);
      const ok = app.task('forget.me', () => 'x');
      await h.worker(app);
      const r = await ok.delay();
      await r.get({ timeout: 5_000 });
      await r.forget();
      expect(await r.state()).toBe('PENDING');
    });

    it('drops results after resultExpires', async () => {
      const app = setup().app({ resultExpires: 150 });
      const t = app.task('short.lived', () => 1);
      await h.worker(app);
      const r = await t.delay();
      await r.get({ timeout: 5_000 });
      await sleep(250);
      expect(await r.state()).toBe('PENDING');
    });

    it('gives `this` and currentTask() the same context', async () => {
      const app = setup().app();
      const t = app.task('ctx.echo', function (this: { id: string }, x: number) {
        return { same: this.id === currentTask().id, name: currentTask().name, args: currentTask().args, x };
      });
      await h.worker(app);
      const r = await t.applyAsync([4], { headers: { trace: 'abc' } });
      expect(await r.get({ timeout: 5_000 })).toEqual({ same: true, name: 'ctx.echo', args: [4], x: 4 });
    });

    it('renews leases so a long task is not handed to another worker', async () => {
      // The task runs for three leases. Both workers can run it, so a lease that lapsed would
      // be recovered and started again, on either of them. A renewal is due every third of a
      // lease: with a one-second lease the worker may stall for 600 ms and still keep it.
      const lease = 1_000;
      let runs = 0;
      const longTask = async (): Promise<void> => {
        runs++;
        await sleep(3 * lease);
      };
      const app = setup().app();
      const t = app.task('long.task', longTask);
      const other = h.app();
      other.task('long.task', longTask);
      await h.worker(app, { lease });
      await h.worker(other, { lease });
      await (await t.delay()).get({ timeout: 30_000 });
      expect(runs).toBe(1);
    });

    it('sends a task this process never registered by name, checking args and headers at the call site', async () => {
      const producer = setup().app();
      const worker = h.app();
      worker.task('remote.add', (a: number, b: number) => a + b, { queue: 'remote' });
      await h.worker(worker, { queues: ['remote'] });
      expect(() => producer.sendTask('remote.add', [() => 1])).toThrow(SerializationError);
      expect(() => producer.sendTask('remote.add', [1, 2], { headers: { trace: 10n } })).toThrow(SerializationError);
      const r = await producer.sendTask<number>('remote.add', [2, 3], { queue: 'remote', headers: { trace: 'abc' } });
      expect(await r.get({ timeout: 10_000 })).toBe(5);
    });

    it('acknowledges at start with acksLate: false, at the end by default', async () => {
      const app = setup().app();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const started: string[] = [];
      const early = app.task('acks.early', async () => {
        started.push('early');
        await gate;
      }, { acksLate: false });
      const late = app.task('acks.late', async () => {
        started.push('late');
        await gate;
      });
      await h.worker(app, { concurrency: 2 });
      const a = await early.delay();
      await until(async () => started.includes('early') && (await app.broker().queueStats('default')).leased === 0);
      const b = await late.delay();
      await until(() => started.includes('late'));
      expect((await app.broker().queueStats('default')).leased).toBe(1);
      release();
      await a.get({ timeout: 10_000 });
      await b.get({ timeout: 10_000 });
      await until(async () => (await app.broker().queueStats('default')).leased === 0);
    });

    it('dead-letters malformed and unknown messages with a reason and keeps serving', async () => {
      const app = setup().app();
      const t = app.task('ok.task', () => 'fine');
      const broker = app.broker();
      await broker.enqueue({ id: 'bad-json', queue: 'default', priority: 0, body: '{not json' });
      await broker.enqueue({ id: 'missing', queue: 'default', priority: 0, body: '{"v":1,"id":"missing"}' });
      const unknown = t.message([]);
      await broker.enqueue({ id: unknown.id, queue: 'default', priority: 0, body: JSON.stringify({ ...unknown, task: 'no.such.task' }) });
      await h.worker(app);
      expect(await (await t.delay()).get({ timeout: 5_000 })).toBe('fine');
      await until(async () => (await broker.deadLetters('default')).length === 3);
      const reasons = new Map((await broker.deadLetters('default')).map((d) => [d.id, d.reason]));
      expect(reasons.get('bad-json')).toMatch(/^malformed message: invalid JSON/);
      expect(reasons.get('missing')).toMatch(/^malformed message: /);
      expect(reasons.get(unknown.id)).toBe('unknown task "no.such.task"');
    });

    it('sends a Rejected task to the dead-letter queue', async () => {
      const app = setup().app();
      const t = app.task('reject.me', () => {
        throw new Reject('bad input');
      });
      await h.worker(app);
      const r = await t.delay();
      await expect(r.get({ timeout: 5_000 })).rejects.toBeInstanceOf(TaskFailedError);
      // The result is stored first, the dead letter follows in the same settle.
      await until(async () => (await app.broker().deadLetters('default')).length === 1);
      const dead = await app.broker().deadLetters('default');
      expect(dead.map((d) => d.reason)).toEqual(['rejected: bad input']);
    });

    it('enqueues in bulk and treats a repeated taskId as the same message', async () => {
      const app = setup().app();
      const ran: number[] = [];
      const t = app.task('bulk.item', (n: number) => void ran.push(n));
      await t.bulkApply(Array.from({ length: 200 }, (_, i) => [i] as [number]));
      await t.applyAsync([999], { taskId: 'fixed-id' });
      await t.applyAsync([999], { taskId: 'fixed-id' });
      // RabbitMQ cannot drop a repeated id as it is published (no keyed state): it holds both copies, and the worker drops the second when it reserves it.
      expect((await app.broker().queueStats('default')).ready).toBe(kind === 'amqp' ? 202 : 201);
      await h.worker(app, { concurrency: 20 });
      await until(() => ran.length === 201);
    });

    it('routes tasks to queues and only serves the queues a worker consumes', async () => {
      const app = setup().app();
      const ran: string[] = [];
      const t = app.task('route.me', (q: string) => void ran.push(q), { queue: 'emails' });
      await t.delay('emails');
      await t.applyAsync(['reports'], { queue: 'reports' });
      await h.worker(app, { queues: ['emails'] });
      await until(() => ran.length === 1);
      await sleep(100);
      expect(ran).toEqual(['emails']);
      expect((await app.broker().queueStats('reports')).ready).toBe(1);
    });

    it('a paused queue keeps its tasks waiting while a running one finishes, and runs them after resume', async () => {
      const app = setup().app();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let started = false;
      const slow = app.task('pause.slow', async () => {
        started = true;
        await gate;
        return 'finished';
      }, { queue: 'held' });
      const quick = app.task('pause.quick', (n: number) => n, { queue: 'held' });
      const open = app.task('pause.open', (n: number) => n, { queue: 'open' });
      await h.worker(app, { queues: ['held', 'open'] });
      const running = await slow.delay();
      await until(() => started);
      await app.queues.pause('held');
      release();
      expect(await running.get({ timeout: 10_000 })).toBe('finished');
      const waiting = await quick.delay(1);
      // A task sent to an open queue afterwards runs: the worker reserved since, and left the paused one alone.
      expect(await (await open.delay(2)).get({ timeout: 10_000 })).toBe(2);
      expect(await waiting.state()).toBe('PENDING');
      expect(await app.queues.stats('held')).toMatchObject({ ready: 1, paused: true });
      await app.queues.resume('held');
      expect(await waiting.get({ timeout: 10_000 })).toBe(1);
      expect((await app.queues.stats('held')).paused).toBe(false);
    });

    it('asks for its next batch before the one it received runs, so the round trip overlaps the run', async () => {
      const app = setup().app();
      const broker = app.broker();
      const reserve = broker.reserve.bind(broker);
      let reserves = 0;
      broker.reserve = (...args) => {
        reserves++;
        return reserve(...args);
      };
      // How many reserves the worker had asked for when each task started.
      const askedBefore: number[] = [];
      const t = app.task('ahead.run', () => void askedBefore.push(reserves));
      await t.bulkApply(Array.from({ length: 8 }, () => [] as []));
      await h.worker(app, { concurrency: 4, prefetch: 4 });
      await until(() => askedBefore.length === 8);
      expect(askedBefore[0]).toBeGreaterThanOrEqual(2);
    });

    it('hands back the messages it had prefetched from a queue paused since, unstarted', async () => {
      const app = setup().app();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let started = false;
      const ran: number[] = [];
      const slow = app.task('prefetch.slow', async () => {
        started = true;
        await gate;
      }, { queue: 'held' });
      const quick = app.task('prefetch.quick', (n: number) => void ran.push(n), { queue: 'held' });
      await slow.delay();
      const quicks = await Promise.all([1, 2, 3].map((n) => quick.delay(n)));
      await h.worker(app, { queues: ['held'], concurrency: 1, prefetch: 4 });
      await until(async () => started && (await app.queues.stats('held')).reserved === 4);
      await app.queues.pause('held');
      // The three waiting behind the running one go back to the queue; the running one keeps its lease.
      await until(async () => (await app.queues.stats('held')).ready === 3);
      expect((await app.queues.stats('held')).reserved).toBe(1);
      release();
      await until(async () => (await app.queues.stats('held')).reserved === 0);
      expect(ran).toEqual([]);
      await app.queues.resume('held');
      for (const result of quicks) await result.get({ timeout: 10_000 });
      expect(ran.sort()).toEqual([1, 2, 3]);
    });

    it('runs at most N tasks of a limited queue at once across two workers, more as soon as the limit is raised', async () => {
      const app = setup().app();
      const other = h.app();
      let running = 0;
      let most = 0;
      let open = false;
      const gates: (() => void)[] = [];
      const work = async (n: number): Promise<number> => {
        running++;
        most = Math.max(most, running);
        if (!open) await new Promise<void>((resolve) => gates.push(resolve));
        running--;
        return n;
      };
      const task = app.task('limit.work', work, { queue: 'limited' });
      other.task('limit.work', work, { queue: 'limited' });
      await app.queues.setConcurrency('limited', 4);
      expect((await app.queues.stats('limited')).concurrency).toBe(4);
      // Room for six at once between them (three each, nothing prefetched): the limit, not the workers, holds them to four.
      const workers = [await h.worker(app, { queues: ['limited'], concurrency: 3, prefetch: 3 }), await h.worker(other, { queues: ['limited'], concurrency: 3, prefetch: 3 })];
      const results = await task.bulkApply(Array.from({ length: 12 }, (_, n) => [n] as [number]));
      await until(() => running === 4);
      expect(await app.queues.stats('limited')).toMatchObject({ ready: 8, reserved: 4 });
      // Each task that ends frees its slot for the next one, on either worker.
      for (let done = 1; done <= 2; done++) {
        gates.shift()!();
        await until(async () => running === 4 && (await app.queues.stats('limited')).ready === 8 - done);
      }
      expect(most).toBe(4);
      const raisedAt = Date.now();
      await app.queues.setConcurrency('limited', 5);
      await until(() => running === 5);
      open = true;
      for (const release of gates.splice(0)) release();
      expect(await Promise.all(results.map((r) => r.get({ timeout: 20_000 })))).toEqual(Array.from({ length: 12 }, (_, n) => n));
      expect(most).toBe(5);

      // The same from the event stream: started and succeeded events of both workers, swept in time order
      // (at equal timestamps an end first: a task's succeeded event is emitted before its ack frees the slot).
      const ids = new Set(results.map((r) => r.id));
      const seen: { at: number; delta: number; hostname: string }[] = [];
      for await (const batch of app.events.subscribe({ group: 'g-limit', consumer: 'c', fromId: '0', blockMs: 50, signal: AbortSignal.timeout(10_000) })) {
        for (const e of batch.events) {
          if ((e.type === 'task-started' || e.type === 'task-succeeded') && ids.has(e.id)) {
            seen.push({ at: e.timestamp, delta: e.type === 'task-started' ? 1 : -1, hostname: e.hostname });
          }
        }
        if (seen.filter((e) => e.delta < 0).length === 12) break;
      }
      seen.sort((a, b) => a.at - b.at || a.delta - b.delta);
      let now = 0;
      let peakBefore = 0;
      let peak = 0;
      for (const e of seen) {
        now += e.delta;
        peak = Math.max(peak, now);
        if (e.at < raisedAt) peakBefore = Math.max(peakBefore, now);
      }
      expect([peakBefore, peak]).toEqual([4, 5]);
      expect(new Set(seen.filter((e) => e.at < raisedAt).map((e) => e.hostname))).toEqual(new Set(workers.map((w) => w.hostname)));

      await app.queues.setConcurrency('limited', null);
      expect((await app.queues.stats('limited')).concurrency).toBeNull();
      await expect(app.queues.setConcurrency('limited', 0)).rejects.toThrow(/concurrency: must be a whole number of at least 1/);
    });

    it('frees the slot of a task whose worker died once its lease expires, and runs the task again', async () => {
      const app = setup().app();
      const ran = new Map<string, number>();
      const task = app.task('limit.once', (label: string) => void ran.set(label, Date.now()), { queue: 'solo' });
      await app.queues.setConcurrency('solo', 1);
      const lost = await task.delay('lost');
      // A worker that took the task and died: its lease is all that is left of it.
      const leasedAt = Date.now();
      const taken = await app.broker().reserve(['solo'], 10, 1_500);
      expect(taken.deliveries.map((d) => d.id)).toEqual([lost.id]);
      const next = await task.delay('next');
      await h.worker(app, { queues: ['solo'] });
      await lost.get({ timeout: 20_000 });
      await next.get({ timeout: 20_000 });
      expect([...ran.keys()].sort()).toEqual(['lost', 'next']);
      // Neither ran while the dead worker's lease held the only slot.
      expect(Math.min(...ran.values())).toBeGreaterThanOrEqual(leasedAt + 1_500);
    });

    it('pauses and resumes every queue at once', async () => {
      const app = setup().app();
      await app.sendTask('any', [], { queue: 'a' });
      await app.sendTask('any', [], { queue: 'b' });
      expect(await app.queues.pauseAll()).toEqual(['a', 'b']);
      expect((await app.queues.list()).map((q) => [q.name, q.paused])).toEqual([['a', true], ['b', true]]);
      await app.queues.resumeAll();
      expect((await app.queues.list()).every((q) => !q.paused)).toBe(true);
    });

    it('hands back tasks it has not started when closed, so another worker runs them', async () => {
      const app = setup().app();
      const ran: number[] = [];
      const t = app.task('slowish', async (n: number) => {
        await sleep(100);
        ran.push(n);
      });
      const w1 = await h.worker(app, { concurrency: 1, prefetch: 10 });
      await t.bulkApply(Array.from({ length: 10 }, (_, i) => [i] as [number]));
      await sleep(50);
      await w1.close();
      expect(ran.length).toBeLessThan(10);
      await h.worker(app, { concurrency: 5 });
      await until(() => ran.length === 10);
      expect(new Set(ran).size).toBe(10);
    });
  });
}
