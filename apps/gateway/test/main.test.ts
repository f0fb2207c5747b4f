// The `lovage-gateway` command as an operator runs it: configured only from the
// environment, with LOVAGE_BROKER_URL and LOVAGE_PREFIX pointing at an engine's
// Redis. It must ingest that engine's events and stop cleanly on SIGTERM.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { testRedisUrl } from '@lovage/test-support';
import { postgresTest } from '@lovage/test-support/postgres';
import { describe, expect } from 'vitest';
import { engineHarness, until } from './ingest-support.js';
import { Client } from './support.js';

const BIN = fileURLToPath(new URL('../bin/lovage-gateway.mjs', import.meta.url));

describe('lovage-gateway command', () => {
  postgresTest('with LOVAGE_BROKER_URL it ingests the engine it points at, and stops on SIGTERM', async ({ postgres }) => {
    const harness = engineHarness();
    const app = harness.app();
    const add = app.task('math.add', (a: number, b: number) => a + b);
    const worker = app.worker({ concurrency: 2, hostname: 'cli-worker' });
    const child = spawn(process.execPath, ['--conditions=@lovage/source', BIN], {
      env: {
        PATH: process.env.PATH,
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: postgres.url,
        LOVAGE_BROKER_URL: testRedisUrl,
        LOVAGE_PREFIX: harness.prefix,
        LOVAGE_ADMIN_EMAIL: 'cli@example.com',
        LOVAGE_ADMIN_PASSWORD: 'cli-password-123',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let url: string | undefined;
    createInterface({ input: child.stdout }).on('line', (line) => {
      const entry = (line.startsWith('{') ? JSON.parse(line) : {}) as { msg?: string; url?: string };
      if (entry.msg === 'gateway listening') url = entry.url;
    });
    try {
      await until(() => url !== undefined, 30_000, 'the gateway listening');
      await worker.start();
      const result = await add.delay(2, 3);
      expect(await result.get({ timeout: 10_000 })).toBe(5);
      const client = new Client(url!);
      expect((await client.request('POST', '/api/v1/auth/login', { body: { email: 'cli@example.com', password: 'cli-password-123' } })).status).toBe(200);
      let task: { state?: string; worker?: string } = {};
      await until(async () => {
        const response = await client.request('GET', `/api/v1/tasks/${result.id}`);
        if (response.status === 200) task = ((await response.json()) as { task: typeof task }).task;
        return task.state === 'SUCCESS';
      }, 20_000, 'the task ingested');
      expect(task.worker).toBe('cli-worker');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await worker.close();
      await harness.close();
    }
  });
});
