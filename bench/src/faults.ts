// The fault suite: each scenario runs against real servers on private ports and
// prints one row, "tasks sent / completed / lost / run twice / recovery time".
//
//   npm run faults
//
// Workers are real `lovage worker` processes running the fault tests' app
// (apps/engine/test/fixtures/fault-app.ts): `fault.mark` adds "<n>:<run id>" to
// a Redis set per run, so distinct n are completed tasks and extra members are
// second runs. Recovery time is from the fault to the first task completed
// after it (the system doing work again).
import { Redis } from 'ioredis';
import { Lovage } from '@lovage/engine';
import { startPrivateRedis, type PrivateRedis } from '@lovage/test-support/private-redis';
import { killAll, spawnWorker } from '../../apps/engine/test/fault/child.js';

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

const scenarios: [string, () => Promise<Row>][] = [
  ['worker-sigkill', workerSigkill],
  ['redis-restart', redisRestart],
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
