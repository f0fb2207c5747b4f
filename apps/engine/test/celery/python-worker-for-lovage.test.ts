// A Lovage producer in protocol 'celery' sends to a real Python worker
// (Celery 5.2.6, prefork pool of one): applyAsync with args, kwargs, countdown and
// priority runs there and result.get() returns what Python stored; a Python
// failure raises TaskFailedError with the exception type's name.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startCeleryWorker, type CeleryWorker } from '@lovage/test-support/celery-worker';
import { cleanupPeer, peerConfig } from '@lovage/test-support/python-peer';
import { deleteKeysWithPrefix } from '@lovage/test-support/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskFailedError, TaskRevokedError } from '../../src/index.js';
import { layoutFor, lovageAppFor } from './celery-peer-support.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const bin = fileURLToPath(new URL('../../bin/lovage.mjs', import.meta.url));

describe('a Python worker runs what a Lovage producer sends', () => {
  const redis = new Redis(redisUrl);
  const config = peerConfig('python-worker-for-lovage');
  const layout = layoutFor(config);

  const ids: string[] = [];
  const { app, prefix } = lovageAppFor(config, 'celery-lovage-producer');
  // Registered only to call them typed: their code lives in Python.
  const describeTask = app.task('peer.describe', (..._args: unknown[]): Record<string, unknown> => {
    throw new Error('runs in Python');
  });
  let worker: CeleryWorker;

  beforeAll(async () => {
    // Prefork, so the worker answers remote control while a task runs (a solo worker runs it inline).
    worker = await startCeleryWorker({ config, name: 'for-lovage', pool: 'prefork', concurrency: 1 });
  }, 180_000);

  afterAll(async () => {
    await worker?.stop();
    await app.close();
    await deleteKeysWithPrefix(redis, prefix);
    await cleanupPeer(
      redis,
      config,
      ids.map((id) => layout.resultKey(id)),
    );
    redis.disconnect();
  }, 60_000);

  it('applyAsync(args, { kwargs, countdown, priority }) runs on the Python worker and result.get() returns its value', async () => {
    const when = new Date('2026-01-02T03:04:05.678Z');
    const sentAt = Date.now();
    const result = await describeTask.applyAsync([2, 'x'], { kwargs: { n: 1, when }, countdown: '1s', priority: 5 });
    ids.push(result.id);
    const value = await result.get({ timeout: 60_000 });
    expect(value).toEqual({
      args: [2, 'x'],
      kwargs: { n: 1, when },
      arg_types: ['int', 'str'],
      kwarg_types: { n: 'int', when: 'str' },
    });
    const info = await result.info();
    expect(info?.state).toBe('SUCCESS');
    // The countdown held: Python ran it no earlier than a second after it was sent.
    expect(Date.parse(info!.dateDone!)).toBeGreaterThanOrEqual(sentAt + 1000);
  }, 120_000);

  it("a Python failure raises TaskFailedError carrying the exception type's name and message", async () => {
    const result = await app.sendTask('peer.fail', ['boom from python']);
    ids.push(result.id);
    const err = await result.get({ timeout: 60_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailedError);
    expect(err).toMatchObject({ remoteName: 'PeerTaskError', remoteMessage: 'boom from python' });
    expect((err as TaskFailedError).remoteStack).toContain('Traceback');
  }, 120_000);

  it('trace context goes to Python as plain message headers, where its OpenTelemetry instrumentation reads them', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const result = await app.sendTask('peer.trace_headers', [], { headers: { traceparent, tracestate: 'lovage=1' } });
    ids.push(result.id);
    expect(await result.get({ timeout: 60_000 })).toEqual({ traceparent, tracestate: 'lovage=1' });
  }, 120_000);

  it('sendTask with kwargs only and priority 9 (kombu sub-queue 9) runs too', async () => {
    const result = await app.sendTask<Record<string, unknown>>('peer.describe', [], { kwargs: { only: 'kwargs' }, priority: 9 });
    ids.push(result.id);
    expect(await result.get({ timeout: 60_000 })).toMatchObject({ args: [], kwargs: { only: 'kwargs' } });
  }, 120_000);

  it('`lovage call --protocol celery --kwargs` sends to the Python worker and --wait prints its result', async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--conditions=@lovage/source', bin, 'call', 'peer.describe', '--args', '[7]', '--kwargs', '{"via": "cli"}', '--broker', config.brokerUrl, '--protocol', 'celery', '--wait', '--json', '--timeout', '60s'],
        { env: { ...process.env, LOVAGE_CELERY_KEY_PREFIX: config.keyPrefix, LOVAGE_DEFAULT_QUEUE: config.queue, LOVAGE_LOG_LEVEL: 'silent' }, timeout: 90_000 },
        (err, out, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(out)),
      );
    });
    const out = JSON.parse(stdout) as { id: string; state: string; result: unknown };
    ids.push(out.id);
    expect(out).toMatchObject({ state: 'SUCCESS', result: { args: [7], kwargs: { via: 'cli' }, arg_types: ['int'] } });
  }, 120_000);

  it('app.control in Celery mode talks pidbox to the Python worker: ping, inspect registered, active and stats, and revoke', async () => {
    const target = { destination: worker.hostname, timeout: 10_000 };
    expect(await app.control.ping(target)).toEqual({ [worker.hostname]: { ok: 'pong' } });
    expect((await app.control.inspect(target).registered())[worker.hostname]).toEqual(expect.arrayContaining(['peer.add', 'peer.sleep']));

    // The worker's one process is busy for 3 s; a task queued behind it is revoked before its turn.
    const busy = await app.sendTask<number>('peer.sleep', [3]);
    const queued = await app.sendTask('peer.add', [1, 2]);
    ids.push(busy.id, queued.id);
    await expect
      .poll(async () => ((await app.control.inspect(target).active())[worker.hostname] ?? []).map((task) => task.id), { timeout: 60_000 })
      .toContain(busy.id);
    const [running] = (await app.control.inspect(target).active())[worker.hostname] ?? [];
    expect(running).toMatchObject({ id: busy.id, name: 'peer.sleep', queue: config.queue, hostname: worker.hostname });
    expect(running?.startedAt).toEqual(expect.any(Number));
    await app.control.revoke(queued.id);
    // Python keeps revocations in memory: its own list proves the pidbox message reached it.
    expect((await app.control.inspect(target).revoked())[worker.hostname]).toContain(queued.id);
    expect(await busy.get({ timeout: 60_000 })).toBe(3);
    await expect(queued.get({ timeout: 60_000 })).rejects.toBeInstanceOf(TaskRevokedError);

    const stats = (await app.control.inspect(target).stats())[worker.hostname];
    expect(stats).toMatchObject({ hostname: worker.hostname, pool: { kind: 'prefork', size: 1 } });
    expect(stats?.processed).toBeGreaterThanOrEqual(1);
  }, 150_000);

  it('`lovage control ping --protocol celery` reaches the Python worker', async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--conditions=@lovage/source', bin, 'control', 'ping', '-d', worker.hostname, '--broker', config.brokerUrl, '--protocol', 'celery', '--json', '--timeout', '10s'],
        { env: { ...process.env, LOVAGE_CELERY_KEY_PREFIX: config.keyPrefix, LOVAGE_LOG_LEVEL: 'silent' }, timeout: 90_000 },
        (err, out, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(out)),
      );
    });
    expect(JSON.parse(stdout)).toEqual({ [worker.hostname]: { ok: 'pong' } });
  }, 120_000);
});
