// The demo's app module runs under the `lovage` command too, as compose and
// `npm run worker:images -w @lovage/demo` run it: a threads-pool worker on Redis.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testRedisUrl, uniquePrefix } from '@lovage/test-support';
import { deleteKeysWithPrefix } from '@lovage/test-support/redis';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';

const demoDir = fileURLToPath(new URL('..', import.meta.url));
const lovageBin = path.join(demoDir, '../engine/bin/lovage.mjs');
const prefix = uniquePrefix('demo-cli');
const redis = new Redis(testRedisUrl);
// The web side: the same app module, configured from the environment like the worker.
process.env.LOVAGE_BROKER_URL = testRedisUrl;
process.env.LOVAGE_PREFIX = prefix;
const { app, makeThumbnail } = await import('../src/app.js');

afterAll(async () => {
  await app.close();
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

describe('lovage worker --app apps/demo/src/app.ts', { timeout: 90_000 }, () => {
  it('runs the CPU-bound thumbnail task on a threads pool and stops cleanly on SIGTERM', async () => {
    const worker = spawn(process.execPath, [lovageBin, 'worker', '--app', 'src/app.ts', '-Q', 'images', '-P', 'threads', '-c', '1'], {
      cwd: demoDir,
      env: { ...process.env, NODE_OPTIONS: '--conditions=@lovage/source', LOVAGE_BROKER_URL: testRedisUrl, LOVAGE_PREFIX: prefix },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    worker.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    worker.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => worker.on('exit', (code) => resolve(code)));
    try {
      const result = await makeThumbnail.delay(7, 160);
      expect(await result.get({ timeout: '60s' })).toEqual({ imageId: 7, width: 160, height: 107, bytes: 160 * 107 });
      expect(output).toContain('pool=threads');
    } finally {
      worker.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
