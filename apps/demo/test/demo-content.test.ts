// What a newcomer sees after `npm start`: once the banner is up, every page of
// the dashboard has something to show within 40 s. Read through the gateway's REST API,
// the same one the dashboard uses, from a real demo process on a free port.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDemo } from './demo-process.js';
import { embeddedStartMs } from './slow-starts.js';

const password = 'demo-content-password-1';
const seedTasks = [
  'users.sendWelcomeEmail',
  'payments.callPaymentApi',
  'reports.generateDailyReport',
  'maintenance.cleanupTempFiles',
];

interface TaskSummary {
  name: string;
  state: string;
  retries: number;
  worker: string | null;
  errorName: string | null;
}

/** Everything the dashboard's pages read, in one snapshot. */
interface Snapshot {
  names: string[];
  /** Seed task names with at least one SUCCESS. */
  succeeded: string[];
  tasks: TaskSummary[];
  workers: { hostname: string; online: boolean; poolKind: string }[];
  schedules: { name: string; totalRunCount: number }[];
  deadLetters: unknown[];
  queues: { name: string }[];
}

const dataDir = await mkdtemp(path.join(tmpdir(), 'lovage-demo-content-'));
// PORT_GATEWAY=0 (the helper's default): a free port, never the 5555 a developer's own `npm start` may hold.
const demo = startDemo({ LOVAGE_DASHBOARD_URL: 'http://localhost:3999', LOVAGE_DATA_DIR: dataDir, LOVAGE_ADMIN_PASSWORD: password }, ['--rate', '10']);
const { child } = demo;

afterAll(async () => {
  await demo.stop(10_000);
  await rm(dataDir, { recursive: true, force: true });
}, 20_000);

async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    if (child.exitCode !== null) throw new Error(`the demo exited (${child.exitCode}):\n${demo.output().stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

async function signIn(gatewayUrl: string): Promise<string> {
  const response = await fetch(`${gatewayUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@lovage.local', password }),
  });
  expect(response.status).toBe(200);
  const cookies = response.headers.getSetCookie().map((cookie) => cookie.split(';')[0]);
  return cookies.join('; ');
}

describe('npm start on the embedded defaults', () => {
  it('fills every dashboard page within 40 s of the banner: the seed tasks, thumbnails, soft time limits, retries, a dead letter, schedule runs, workers', async () => {
    // Start-up itself (PGlite, migrations, TypeScript) is slow on a loaded CI machine: not what this measures.
    await waitFor(
      () => Promise.resolve(demo.output().stdout),
      (out) => out.includes('Stop:'),
      embeddedStartMs,
    );
    const startedAt = Date.now();
    const { stdout } = demo.output();
    const gatewayUrl = /Gateway {4}(\S+)/.exec(stdout)?.[1];
    expect(gatewayUrl, stdout).toBeTruthy();
    const cookie = await signIn(gatewayUrl!);
    const get = async <T>(route: string): Promise<T> => {
      const response = await fetch(`${gatewayUrl}/api/v1${route}`, { headers: { cookie } });
      const body = await response.text();
      expect(response.status, `${route}: ${body}`).toBe(200);
      return JSON.parse(body) as T;
    };
    const snapshot = async (): Promise<Snapshot> => ({
      names: (await get<{ names: string[] }>('/tasks/facets')).names,
      // Asked by name: the schedules' tasks run once at the start, and the load generator's
      // traffic soon pushes them out of the newest 200 of their state.
      succeeded: (
        await Promise.all(
          seedTasks.map(async (name) =>
            (await get<{ tasks: TaskSummary[] }>(`/tasks?name=${encodeURIComponent(name)}&state=SUCCESS&limit=1`)).tasks.length > 0 ? [name] : [],
          ),
        )
      ).flat(),
      // One state per request: the newest 200 tasks alone may hold no failure yet.
      tasks: (
        await Promise.all(
          ['', 'state=SUCCESS&', 'state=FAILURE&', 'state=RETRY&', 'state=REJECTED&'].map((filter) =>
            get<{ tasks: TaskSummary[] }>(`/tasks?${filter}limit=200`),
          ),
        )
      ).flatMap((page) => page.tasks),
      workers: (await get<{ workers: Snapshot['workers'] }>('/workers')).workers,
      schedules: (await get<{ schedules: Snapshot['schedules'] }>('/schedules')).schedules,
      deadLetters: (await get<{ deadLetters: unknown[] }>('/dead-letters')).deadLetters,
      queues: (await get<{ queues: Snapshot['queues'] }>('/queues')).queues,
    });
    const complete = (s: Snapshot): boolean =>
      [...seedTasks, 'images.makeThumbnail', 'reports.exportLedger'].every((name) =>
        s.names.includes(name),
      ) &&
      seedTasks.every((name) => s.succeeded.includes(name)) &&
      s.tasks.some((t) => t.name === 'payments.callPaymentApi' && t.retries > 0) &&
      s.tasks.some((t) => t.errorName === 'SoftTimeLimitExceeded') &&
      s.tasks.some(
        (t) =>
          t.name === 'images.makeThumbnail' && t.state === 'SUCCESS' && t.worker?.startsWith('cpu-') === true,
      ) &&
      s.deadLetters.length > 0 &&
      s.schedules.length >= 2 &&
      s.schedules.every((schedule) => schedule.totalRunCount > 0) &&
      s.workers.filter((w) => w.online).length >= 2;

    const seen = await waitFor(snapshot, complete, 40_000 - (Date.now() - startedAt));
    // One assertion per page, so a failure names what is missing.
    expect(seen.names, 'task names').toEqual(
      expect.arrayContaining([...seedTasks, 'images.makeThumbnail', 'reports.exportLedger']),
    );
    expect(seen.succeeded.sort(), 'seed tasks that succeeded').toEqual([...seedTasks].sort());
    expect(
      seen.tasks.some((t) => t.name === 'payments.callPaymentApi' && t.retries > 0),
      'a retried payment',
    ).toBe(true);
    expect(
      seen.tasks.some((t) => t.errorName === 'SoftTimeLimitExceeded'),
      'a soft time limit',
    ).toBe(true);
    expect(
      seen.tasks.some((t) => t.name === 'images.makeThumbnail' && t.worker?.startsWith('cpu-') === true),
      'a thumbnail on the threads pool',
    ).toBe(true);
    expect(seen.deadLetters.length, 'dead letters').toBeGreaterThan(0);
    expect(seen.schedules.map((s) => [s.name, s.totalRunCount > 0]).sort()).toEqual([
      ['cleanup-every-hour', true],
      ['daily-report', true],
    ]);
    expect(
      seen.workers
        .filter((w) => w.online)
        .map((w) => w.poolKind)
        .sort(),
      'workers online',
    ).toEqual(['async', 'threads']);
    expect(seen.queues.map((q) => q.name)).toEqual(expect.arrayContaining(['default', 'images']));
    expect(Date.now() - startedAt).toBeLessThan(45_000);
  }, embeddedStartMs + 60_000);
});
