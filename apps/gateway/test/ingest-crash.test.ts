// Crash-resume with a real kill: the gateway runs in its own process
// (fixtures/ingest-process.ts), gets SIGKILL while a load is being ingested,
// and is started again. Every task's final state and attempts must then match
// the engine's result backend, and the metric sums must count each attempt once.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { testRedisUrl } from '@lovage/test-support';
import { postgresTest } from '@lovage/test-support/postgres';
import { describe, expect } from 'vitest';
import { openDatabase } from '../src/store/database.js';
import { allReady, defineTasks, engineHarness, groundTruthMatches, sleep, until } from './ingest-support.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/ingest-process.ts', import.meta.url));

interface GatewayProcess {
  child: ChildProcess;
  /** The newest status line the process printed. */
  latest: { batches?: number; caughtUp?: boolean; ready?: boolean };
  exited: Promise<NodeJS.Signals | number | null>;
}

function startGatewayProcess(databaseUrl: string, prefix: string): GatewayProcess {
  // tsx as a loader in this very process (not tsx's CLI, which runs the script in a child of its
  // own): the SIGKILL below must hit the gateway itself.
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@lovage/source', FIXTURE, databaseUrl, testRedisUrl, prefix, 'gw-killed'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const handle: GatewayProcess = {
    child,
    latest: {},
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code))),
  };
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('{')) handle.latest = JSON.parse(line) as GatewayProcess['latest'];
  });
  return handle;
}

describe('ingest crash-resume', () => {
  postgresTest('a gateway process killed mid-load (SIGKILL) loses and doubles nothing once restarted', async ({ postgres }) => {
    const harness = engineHarness();
    const app = harness.app();
    const { add, flaky } = defineTasks(app);
    const worker = app.worker({ concurrency: 20, hostname: 'killed-gw-worker' });
    const database = await openDatabase({ databaseUrl: postgres.url });
    let gateway = startGatewayProcess(postgres.url, harness.prefix);
    try {
      // A child process that loads the gateway's TypeScript cold: tens of seconds on a loaded machine.
      await until(() => gateway.latest.ready === true || gateway.latest.batches !== undefined, 90_000, 'gateway process ready');
      await worker.start();
      // A steady load (a task every 10 ms) that runs before, during and after the kill.
      const ids: string[] = [];
      let loading = true;
      const load = (async () => {
        for (let i = 0; loading; i++) {
          ids.push((i % 4 === 3 ? await add.delay(i, 2) : await flaky.delay(i)).id);
          await sleep(10);
        }
      })();
      const isFinal = () => ({ id: { in: ids }, state: { in: ['SUCCESS' as const, 'FAILURE' as const] } });
      await until(async () => (await database.prisma.task.count({ where: isFinal() })) >= 40, 60_000, 'some tasks ingested');
      gateway.child.kill('SIGKILL');
      expect(await gateway.exited).toBe('SIGKILL');
      await sleep(500);
      // Tasks sent while the gateway was down cannot be in the database yet.
      expect(await database.prisma.task.count({ where: isFinal() })).toBeLessThan(ids.length);

      gateway = startGatewayProcess(postgres.url, harness.prefix);
      await sleep(500);
      loading = false;
      await load;
      await until(() => allReady(app, ids), 60_000, 'all tasks finished');
      await until(async () => (await database.prisma.task.count({ where: isFinal() })) === ids.length, 60_000, 'all tasks ingested after the restart');
      await until(() => gateway.latest.caughtUp === true, 30_000, 'ingest caught up');
      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).toBe(0);
      await groundTruthMatches(database.prisma, app, ids);
    } finally {
      gateway.child.kill('SIGKILL');
      await worker.close();
      await database.close();
      await harness.close();
    }
  }, 300_000);
});
