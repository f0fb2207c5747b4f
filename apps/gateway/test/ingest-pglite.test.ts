// The embedded defaults end to end: an engine on the memory broker and a gateway
// on PGlite (what `npm start` runs with nothing configured) ingest a task's life.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Lovage } from '@lovage/engine';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createGateway } from '../src/server.js';
import { listTasks } from '../src/store/task-queries.js';
import { until } from './ingest-support.js';

describe('ingest on the embedded defaults', () => {
  it('writes the tasks a memory-broker worker runs into PGlite, attempts included', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'lovage-gw-ingest-'));
    const app = new Lovage({ broker: 'memory://', logLevel: 'silent' });
    const gateway = await createGateway({ dataDir, port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }), app, security: { adminPassword: 'embedded-password-1', metricsToken: undefined } });
    const worker = app.worker({ concurrency: 2, hostname: 'embedded-worker' });
    try {
      const double = app.task('embedded.double', (n: number) => n * 2);
      await worker.start();
      const result = await double.delay(21);
      expect(await result.get({ timeout: 10_000 })).toBe(42);
      await until(async () => (await gateway.prisma.task.findUnique({ where: { id: result.id } }))?.state === 'SUCCESS', 30_000, 'task ingested');
      const task = await gateway.prisma.task.findUniqueOrThrow({ where: { id: result.id }, include: { attempts: true } });
      expect(task).toMatchObject({ name: 'embedded.double', args: [21], resultPreview: '42', worker: 'embedded-worker' });
      expect(task.attempts.map((a) => [a.attempt, a.outcome])).toEqual([[1, 'SUCCESS']]);
      expect(gateway.ingest!.status()).toMatchObject({ state: 'running', lastError: null });
      // The task list's filter on several states binds them as one parameter, which PGlite accepts too.
      const listed = await listTasks(gateway.prisma, { states: ['SUCCESS', 'FAILURE'], limit: 10 });
      expect(listed.map((row) => row.id)).toEqual([result.id]);
    } finally {
      await worker.close();
      await gateway.close();
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    }
    // Opening and migrating PGlite takes tens of seconds on a busy machine.
  }, 180_000);
});
