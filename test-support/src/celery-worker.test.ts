// The Python peer harness itself: a worker it starts is really ready, runs a
// producer's task, and is really gone after stop, even when a task would hold
// its warm shutdown for minutes.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CeleryWorkerError, startCeleryWorker } from './celery-worker.js';
import { testRedisUrl } from './env.js';
import { cleanupPeer, peerConfig, runPython, runPythonJson, type PeerConfig } from './python-peer.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a Python Celery worker started by the harness', () => {
  const redis = new Redis(testRedisUrl);
  const configs: PeerConfig[] = [];
  const resultKeys: string[] = [];
  const fresh = (): PeerConfig => {
    const config = peerConfig('harness');
    configs.push(config);
    return config;
  };

  beforeAll(async () => {
    await redis.ping();
  });

  afterAll(async () => {
    for (const config of configs) await cleanupPeer(redis, config, resultKeys);
    redis.disconnect();
  });

  it('answers a ping when start resolves, runs a task a Python producer sends, and is gone after stop', async () => {
    const config = fresh();
    const worker = await startCeleryWorker({ config, name: 'harness-a' });
    try {
      expect(worker.hostname).toMatch(/^harness-a@/);
      const result = await runPythonJson<{ id: string; value: number }>(
        "import json\nfrom peer_project import app\nr = app.send_task('peer.add', args=[2, 3])\nprint(json.dumps({'id': r.id, 'value': r.get(timeout=60)}))",
        config,
      );
      resultKeys.push(`celery-task-meta-${result.id}`);
      expect(result.value).toBe(5);
    } finally {
      await worker.stop();
    }
    expect(worker.exited).toBe(true);
    expect(isAlive(worker.pid)).toBe(false);
    // Its queue and bindings live under the config's prefix only.
    expect((await redis.keys(`${config.keyPrefix}*`)).length).toBeGreaterThan(0);
  }, 180_000);

  it('kills a worker (and its pool processes) whose running task holds the warm shutdown past the grace period', async () => {
    const config = fresh();
    const worker = await startCeleryWorker({ config, name: 'harness-b', pool: 'prefork', concurrency: 1 });
    try {
      await runPython("from peer_project import app\napp.send_task('peer.sleep', args=[600])", config);
      await expect
        .poll(() => worker.output(), { timeout: 60_000 })
        .toMatch(/Task peer\.sleep\[[^\]]+\] received/);
    } finally {
      await worker.stop(1000);
    }
    expect(worker.exited).toBe(true);
    // SIGKILL went to the whole group, so no prefork child is left sleeping.
    await expect.poll(() => isAlive(-worker.pid), { timeout: 10_000 }).toBe(false);
  }, 180_000);

  it('fails with the worker output when the worker cannot start', async () => {
    const error = await startCeleryWorker({
      config: fresh(),
      name: 'harness-c',
      extraArgs: ['--no-such-option'],
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CeleryWorkerError);
    expect((error as CeleryWorkerError).message).toMatch(/exited .* before it was ready/);
    expect((error as CeleryWorkerError).output).toContain('no-such-option');
  }, 120_000);
});
