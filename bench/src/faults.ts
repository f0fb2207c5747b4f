// The fault suite: each scenario runs against real servers on private ports and
// prints one row, "tasks sent / completed / lost / run twice / recovery time".
//
//   npm run faults
//
// Workers are real `lovage worker` processes running the fault tests' app
// (apps/engine/test/fixtures/fault-app.ts): `fault.mark` adds "<n>:<run id>" to
// a Redis set per run, so distinct n are completed tasks and extra members are
// second runs. Recovery time is from the fault to the first task completed
// after it (the system doing work again). For the gateway, "completed" is tasks
// whose final state reached the database, "run twice" counts attempts applied
// twice (the metric sums), and recovery ends at the restarted gateway's first
// committed batch. `npm run faults -- redis-restart` runs one scenario.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Lovage } from '@lovage/engine';
import { startPrivateRedis } from '@lovage/test-support/private-redis';
import { killAll, spawnWorker } from '../../apps/engine/test/fault/child.js';
import { createBenchDatabase } from './gateway-support.js';

interface Row {
  scenario: string;
  sent: number;
  completed: number;
  lost: number;
  runTwice: number;
  recoveryMs: number | null;
  note?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(50);
  }
  return false;
}

/** A private Redis, a producer app and a reader of the runs set. */
async function rig(prefix: string) {
  const redis = await startPrivateRedis();
  const app = new Lovage({ broker: redis.url, prefix, logLevel: 'silent' });
  const mark = app.task('fault.mark', (_n: number) => 0);
  const client = new Redis(redis.url);
  client.on('error', () => undefined);
  const marks = async (): Promise<string[]> => client.smembers(`${prefix}marks`).catch(() => []);
  const completed = async (): Promise<number> => new Set((await marks()).map((member) => member.split(':')[0])).size;
  /** Resolves with the time from `since` to the first completion after it. */
  const firstProgressAfter = async (since: number, before: number): Promise<number | null> =>
    (await until(async () => (await completed()) > before, 120_000)) ? Date.now() - since : null;
  const result = async (scenario: string, sent: number, recoveryMs: number | null, done: boolean): Promise<Row> => {
    const members = await marks();
    const distinct = new Set(members.map((member) => member.split(':')[0])).size;
    return { scenario, sent, completed: distinct, lost: sent - distinct, runTwice: members.length - distinct, recoveryMs, ...(done ? {} : { note: 'timed out waiting for the rest' }) };
  };
  return {
    redis,
    mark,
    completed,
    firstProgressAfter,
    result,
    workerEnv: { LOVAGE_BROKER_URL: redis.url, LOVAGE_PREFIX: prefix, LOVAGE_VISIBILITY_TIMEOUT: '1s', LOVAGE_LOG_LEVEL: 'silent' },
    async close(): Promise<void> {
      killAll();
      await app.close();
      client.disconnect();
      await redis.destroy();
    },
  };
}

async function workerSigkill(): Promise<Row> {
  const r = await rig('faults-worker:');
  try {
    const sent = 2_000;
    const first = spawnWorker(r.workerEnv, ['-c', '10', '--prefetch', '20']);
    await first.ready;
    await r.mark.bulkApply(Array.from({ length: sent }, (_, i) => [i] as [number]));
    await until(async () => (await r.completed()) >= sent / 4, 60_000);
    const killedAt = Date.now();
    first.child.kill('SIGKILL');
    await first.exited;
    const before = await r.completed();
    const second = spawnWorker(r.workerEnv, ['-c', '10', '--prefetch', '20']);
    await second.ready;
    const recoveryMs = await r.firstProgressAfter(killedAt, before);
    const done = await until(async () => (await r.completed()) === sent, 120_000);
    return await r.result('worker SIGKILL mid-task under load', sent, recoveryMs, done);
  } finally {
    await r.close();
  }
}

async function redisRestart(): Promise<Row> {
  const r = await rig('faults-redis:');
  try {
    const worker = spawnWorker(r.workerEnv, ['-c', '20', '--prefetch', '40']);
    await worker.ready;
    await r.mark.bulkApply(Array.from({ length: 2_000 }, (_, i) => [i] as [number]));
    await until(async () => (await r.completed()) >= 500, 60_000);
    const before = await r.completed();
    const stoppedAt = Date.now();
    await r.redis.stop();
    // Producers keep calling delay() during the outage: the calls wait for the broker.
    const duringOutage = Promise.all(Array.from({ length: 1_000 }, (_, i) => r.mark.delay(2_000 + i)));
    await r.redis.start();
    await duringOutage;
    const sent = 3_000;
    const recoveryMs = await r.firstProgressAfter(stoppedAt, before);
    const done = await until(async () => (await r.completed()) === sent, 120_000);
    return await r.result('Redis restart (AOF) under load', sent, recoveryMs, done);
  } finally {
    await r.close();
  }
}

/** The crash test's gateway process (apps/gateway/test/fixtures/ingest-process.ts): prints a JSON line per committed batch. */
function gatewayProcess(databaseUrl: string, redisUrl: string, prefix: string): { child: ChildProcess; batches: () => number; ready: Promise<void>; exited: Promise<unknown> } {
  const fixture = fileURLToPath(new URL('../../apps/gateway/test/fixtures/ingest-process.ts', import.meta.url));
  // Node itself with tsx's loader (not tsx's CLI, which runs the script in a grandchild), so SIGKILL hits the gateway.
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@lovage/source', fixture, databaseUrl, redisUrl, prefix, 'gw-faults'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let batches = 0;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const status = JSON.parse(line) as { ready?: boolean; batches?: number };
    if (status.ready) markReady();
    if (status.batches !== undefined) batches = Math.max(batches, status.batches);
  });
  return { child, batches: () => batches, ready, exited: new Promise((resolve) => child.once('exit', resolve)) };
}

async function gatewaySigkill(): Promise<Row> {
  const redis = await startPrivateRedis();
  const database = await createBenchDatabase('faults');
  const db = new pg.Client({ connectionString: database.url });
  await db.connect();
  const prefix = 'faults-gateway:';
  const app = new Lovage({ broker: redis.url, prefix, logLevel: 'silent' });
  const add = app.task('faults.add', (a: number, b: number) => a + b);
  const worker = app.worker({ concurrency: 20 });
  let gateway = gatewayProcess(database.url, redis.url, prefix);
  try {
    await gateway.ready;
    await worker.start();
    const ids: string[] = [];
    let loading = true;
    const load = (async () => {
      for (let i = 0; loading; i++) {
        ids.push((await add.delay(i, 1)).id);
        await sleep(5);
      }
    })();
    const ingested = async (): Promise<number> =>
      Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM tasks WHERE id = ANY($1) AND state = 'SUCCESS'`, [ids])).rows[0]!.n);
    await until(async () => (await ingested()) >= 200, 90_000);
    const killedAt = Date.now();
    gateway.child.kill('SIGKILL');
    await gateway.exited;
    gateway = gatewayProcess(database.url, redis.url, prefix);
    await gateway.ready;
    const recovered = await until(() => Promise.resolve(gateway.batches() > 0), 120_000);
    const recoveryMs = recovered ? Date.now() - killedAt : null;
    loading = false;
    await load;
    const done = await until(async () => (await ingested()) === ids.length, 120_000);
    // Each task ran once; a batch applied twice would count its attempt twice in the metrics.
    const started = Number((await db.query<{ n: string | null }>('SELECT sum(started) AS n FROM metric_buckets')).rows[0]!.n ?? 0);
    const completed = await ingested();
    return {
      scenario: 'gateway SIGKILL during ingest',
      sent: ids.length,
      completed,
      lost: ids.length - completed,
      runTwice: Math.max(0, started - ids.length),
      recoveryMs,
      ...(done ? {} : { note: 'timed out waiting for the rest' }),
    };
  } finally {
    gateway.child.kill('SIGKILL');
    await worker.close();
    await app.close();
    await db.end();
    await database.drop();
    await redis.destroy();
  }
}

const scenarios: [string, () => Promise<Row>][] = [
  ['worker-sigkill', workerSigkill],
  ['redis-restart', redisRestart],
  ['gateway-sigkill', gatewaySigkill],
];

function print(rows: Row[]): void {
  const header = ['scenario', 'tasks sent', 'completed', 'lost', 'run twice', 'recovery time'];
  const cells = rows.map((row) => [
    row.scenario + (row.note ? ` (${row.note})` : ''),
    String(row.sent),
    String(row.completed),
    String(row.lost),
    String(row.runTwice),
    row.recoveryMs === null ? 'none' : `${(row.recoveryMs / 1000).toFixed(2)} s`,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((line) => line[i]!.length)));
  const line = (values: string[]): string => values.map((value, i) => (i === 0 ? value.padEnd(widths[i]!) : value.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  for (const values of cells) console.log(line(values));
}

const only = process.argv.slice(2);
const rows: Row[] = [];
for (const [name, run] of scenarios) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stderr.write(`faults: ${name}…\n`);
  rows.push(await run());
}
print(rows);
process.exitCode = rows.some((row) => row.lost > 0 || row.recoveryMs === null) ? 1 : 0;
