// The all-in-one entry as a user runs it: a real process, real signals, the real
// Redis and Postgres when asked for them.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Lovage, type LovageEvent } from '@lovage/engine';
import { createTestDatabase, dropTestDatabase, testRedisUrl, uniquePrefix } from '@lovage/test-support';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix } from '@lovage/test-support/redis';
import { afterEach, describe, expect, it } from 'vitest';
import { startDemo as startDemoProcess, type DemoProcess } from './demo-process.js';
import { embeddedStartMs } from './slow-starts.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function startDemo(env: Record<string, string>, args: string[] = []): DemoProcess {
  const demo = startDemoProcess(env, args);
  cleanups.push(() => demo.stop());
  return demo;
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 50_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function tempDataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lovage-demo-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const gatewayUrlOf = (stdout: string): string => {
  const url = /Gateway {4}(\S+)/.exec(stdout)?.[1];
  if (!url) throw new Error(`no gateway URL in the banner:\n${stdout}`);
  return url;
};

describe('demo main on the embedded defaults', { timeout: embeddedStartMs + 60_000 }, () => {
  it('prints one banner, feeds the gateway a live event stream, and exits 0 on SIGINT', async () => {
    const dataDir = await tempDataDir();
    const demo = startDemo({ LOVAGE_DATA_DIR: dataDir, LOVAGE_ADMIN_PASSWORD: 'demo-test-password-1' }, ['--rate', '8']);
    await waitFor(() => demo.output().stdout.includes('Stop:'), 'the banner', embeddedStartMs);
    const { stdout } = demo.output();
    expect(stdout.match(/Lovage demo/g)).toHaveLength(1);
    expect(stdout).toContain('Broker     memory://');
    expect(stdout).toContain(`PGlite (embedded) at ${path.join(dataDir, 'pglite')}`);
    expect(stdout).toContain('Login      admin@lovage.local   (password from LOVAGE_ADMIN_PASSWORD)');
    expect(stdout).toContain('Traffic    8 actions/s');
    expect(stdout).not.toContain('demo-test-password-1');

    // The gateway ingests the app's events: sign-ups, payments and the rest arrive.
    const gatewayUrl = gatewayUrlOf(stdout);
    let applied = 0;
    await waitFor(async () => {
      const response = await fetch(`${gatewayUrl}/healthz`);
      const health = (await response.json()) as { ingest?: { eventsApplied?: number } | null };
      applied = health.ingest?.eventsApplied ?? 0;
      return response.status === 200 && applied >= 50;
    }, 'the gateway to ingest 50 events');
    expect(applied).toBeGreaterThanOrEqual(50);

    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    expect(demo.output().stderr).not.toMatch(/Error|at .*\.ts:\d+/);
  });

  it('stops with one line of cause and fix when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => blocker.close(() => resolve())));
    const { port } = blocker.address() as net.AddressInfo;
    const demo = startDemo({ PORT_GATEWAY: String(port), LOVAGE_DATA_DIR: await tempDataDir() });
    expect(await demo.exited).toBe(1);
    expect(demo.output().stderr.trim()).toBe(
      `lovage: port ${port} is already in use (another Lovage or gateway?). Stop it, or pick another port: PORT_GATEWAY=5556 LOVAGE_GATEWAY_URL=http://127.0.0.1:5556 npm start`,
    );
  });
});

describe('demo main start-up failures', { timeout: 60_000 }, () => {
  it('names an unreachable Redis and how to fix it, in one line', async () => {
    const demo = startDemo({ LOVAGE_BROKER_URL: 'redis://127.0.0.1:1/0', LOVAGE_DATA_DIR: await tempDataDir() });
    expect(await demo.exited).toBe(1);
    expect(demo.output().stderr.trim()).toBe(
      'lovage: cannot reach the broker at redis://127.0.0.1:1/0: ECONNREFUSED. Start Redis (redis-server), fix LOVAGE_BROKER_URL, or unset it to use the in-process memory:// broker.',
    );
  });

  it('names a DATABASE_URL whose database does not exist, without its password, in one line', async () => {
    const demo = startDemo({
      DATABASE_URL: 'postgresql://postgres:hunter2@127.0.0.1:5432/lovage_demo_no_such_db',
      LOVAGE_DATA_DIR: await tempDataDir(),
    });
    expect(await demo.exited).toBe(1);
    const { stderr } = demo.output();
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('database "lovage_demo_no_such_db" does not exist');
    expect(stderr).toContain('Fix DATABASE_URL (postgresql://USER:PASSWORD@HOST:5432/DATABASE, with the database created), or unset it');
    expect(stderr).not.toContain('hunter2');
  });

  it('refuses a DATABASE_URL that is not PostgreSQL before opening anything', async () => {
    const demo = startDemo({ DATABASE_URL: 'mysql://root@db/app', LOVAGE_DATA_DIR: await tempDataDir() });
    expect(await demo.exited).toBe(2);
    expect(demo.output().stderr.trim()).toMatch(/^lovage: DATABASE_URL="mysql:\/\/root@db\/app" is not a PostgreSQL URL: expected postgresql:\/\/[^\n]*$/);
  });
});

describe('demo main on Redis and Postgres', { timeout: 120_000 }, () => {
  it("runs the seed's tasks: welcome emails, payments with retries, both schedules, thumbnails on threads, soft time limits", async () => {
    const prefix = uniquePrefix('demo');
    const redis = new Redis(testRedisUrl);
    cleanups.push(async () => {
      await deleteKeysWithPrefix(redis, prefix);
      redis.disconnect();
    });
    const database = await createTestDatabase('demo');
    cleanups.push(() => dropTestDatabase(database.name));

    const demo = startDemo(
      { LOVAGE_BROKER_URL: testRedisUrl, LOVAGE_PREFIX: prefix, DATABASE_URL: database.url, LOVAGE_DATA_DIR: await tempDataDir() },
      ['--rate', '10'],
    );
    await waitFor(() => demo.output().stdout.includes('Stop:') || demo.child.exitCode !== null, 'the banner', 80_000);
    expect(demo.output().stderr).toBe('');
    expect(demo.output().stdout).toContain(`Broker     ${testRedisUrl}`);
    expect(demo.output().stdout).toContain(`Database   PostgreSQL ${database.url}`);

    // Read what happened from the broker's event stream, as any monitor would.
    const observer = new Lovage({ name: 'observer', broker: testRedisUrl, prefix, logLevel: 'silent' });
    cleanups.push(() => observer.close());
    const seen: LovageEvent[] = [];
    const abort = new AbortController();
    const reading = (async () => {
      for await (const events of observer.events.tail({ fromId: '0', signal: abort.signal, blockMs: 500 })) seen.push(...events);
    })();
    const has = (type: string, name: string, check: (e: LovageEvent) => boolean = () => true) =>
      seen.some((e) => e.type === type && 'name' in e && e.name === name && check(e));
    await waitFor(
      () =>
        has('task-succeeded', 'users.sendWelcomeEmail') &&
        has('task-succeeded', 'payments.callPaymentApi') &&
        has('task-retried', 'payments.callPaymentApi') &&
        has('task-succeeded', 'reports.generateDailyReport') &&
        has('task-succeeded', 'maintenance.cleanupTempFiles') &&
        has('task-succeeded', 'images.makeThumbnail', (e) => e.hostname.startsWith('cpu-')) &&
        has('task-failed', 'reports.exportLedger', (e) => 'error' in e && e.error?.name === 'SoftTimeLimitExceeded'),
      'every kind of task in the event stream',
      60_000,
    );
    // The outbox relay polls its table every second from the start: a relay that cannot read it
    // (the wrong table) says so at every poll, whether or not a durable sign-up happened yet.
    const output = demo.output();
    expect(`${output.stdout}${output.stderr}`).not.toContain('outbox relay failed');
    abort.abort();
    await reading.catch(() => undefined);

    demo.child.kill('SIGTERM');
    expect(await demo.exited).toBe(0);
  });
});
