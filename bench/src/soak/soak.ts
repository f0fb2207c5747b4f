// The soak: a steady stream of tasks (1,000/s by default) through a private
// Redis, two `lovage worker` processes and a gateway ingesting into Postgres,
// for N minutes. Each minute it prints the RSS of every process (workers,
// producer, gateway, Redis), Redis's used memory, the tasks sent and completed
// and the gateway's lag; at the end it drains, then judges each series by its
// slope over the last third of the run against the first third, and counts
// tasks lost (sent, never run) and run twice.
//
//   npm run soak -- --minutes 30            (default 30)
//   npm run soak -- --minutes 5 --rate 500  a shorter, lighter run
//   --events-max-mb N                       the event stream's bound in MiB (default 256, production's)
//
// The producer is this process: it sends `--rate` tasks a second in batches
// every 100 ms (bulkApply) and says so when it falls behind. Redis is private
// (a free port, AOF on, as in production); the gateway's database is a fresh
// one on the test Postgres, dropped at the end. The event stream is bounded by
// size (256 MiB, production's default), so Redis memory climbs until the stream
// reaches its bound (about 4 minutes at 1,000 tasks/s), then levels off.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Lovage } from '@lovage/engine';
import { startPrivateRedis } from '@lovage/test-support/private-redis';
import { queueKeys } from '../../../apps/engine/src/adapters/redis/keys.js';
import { benchArgs, createBenchDatabase, sleep } from '../gateway-support.js';

const args = benchArgs();
const MINUTES = args.number('--minutes', 30);
const RATE = args.number('--rate', 1_000);
const WORKERS = 2;
const SAMPLE_MS = args.number('--sample-seconds', 60) * 1_000;
// The event stream's bound in bytes (LOVAGE_EVENTS_MAX_BYTES): a short or slow run needs a smaller one
// for Redis's memory to reach it and level off.
const EVENTS_MAX_MB = args.number('--events-max-mb', 256);
const TICK_MS = 100;
const prefix = 'soak:';

const bin = fileURLToPath(new URL('../../../apps/engine/bin/lovage.mjs', import.meta.url));
const soakApp = fileURLToPath(new URL('./soak-app.ts', import.meta.url));
const gatewayScript = fileURLToPath(new URL('./soak-gateway.ts', import.meta.url));

/** Resident set size of a process in MB, from /proc (0 once it is gone). */
function rssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return line ? Number(line.split(/\s+/)[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function waitForLine(child: ChildProcess, test: (line: string) => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (test(line)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before it was ready`)));
  });
}

const redis = await startPrivateRedis();
const database = await createBenchDatabase('soak');
const client = new Redis(redis.url);
const db = new pg.Client({ connectionString: database.url });
await db.connect();
const redisPid = Number(/process_id:(\d+)/.exec(await client.info('server'))![1]);
const env = { ...process.env, LOVAGE_BROKER_URL: redis.url, LOVAGE_PREFIX: prefix, LOVAGE_LOG_LEVEL: 'warn', LOVAGE_EVENTS_MAX_BYTES: `${EVENTS_MAX_MB}mb` };

const workers = Array.from({ length: WORKERS }, () =>
  spawn(process.execPath, ['--conditions=@lovage/source', bin, 'worker', '--app', soakApp, '-c', '50', '--prefetch', '100'], { env, stdio: ['ignore', 'pipe', 'inherit'] }),
);
// Node with tsx's loader, not tsx's CLI (which would run the gateway in a grandchild whose RSS we would miss).
const gateway = spawn(process.execPath, ['--import', 'tsx', '--conditions=@lovage/source', gatewayScript, database.url, redis.url, prefix], { stdio: ['ignore', 'pipe', 'inherit'] });
let gatewayLag: { eventsApplied: number; behindMs: number | null } = { eventsApplied: 0, behindMs: null };
createInterface({ input: gateway.stdout }).on('line', (line) => {
  if (line.startsWith('{') && line.includes('eventsApplied')) gatewayLag = JSON.parse(line) as typeof gatewayLag;
});
const stopChildren = (): void => {
  for (const child of [...workers, gateway]) child.kill('SIGKILL');
};
process.once('exit', stopChildren);
await Promise.all([...workers.map((w, i) => waitForLine(w, (line) => line.includes('lovage worker ready'), `worker ${i + 1}`)), waitForLine(gateway, (line) => line.includes('"ready"'), 'gateway')]);

const app = new Lovage({ broker: redis.url, prefix, logLevel: 'warn', eventsMaxBytes: `${EVENTS_MAX_MB}mb` });
const tick = app.task('soak.tick', (_n: number) => null, { ignoreResult: true });
const completed = async (): Promise<number> => client.bitcount(`${prefix}soak:done`);
const twice = async (): Promise<number> => Number((await client.get(`${prefix}soak:twice`)) ?? 0);

interface Sample {
  minute: number;
  sent: number;
  completed: number;
  rss: Record<string, number>;
  redisUsedMb: number;
}
const samples: Sample[] = [];
const names = [...workers.map((_, i) => `worker ${i + 1}`), 'producer', 'gateway', 'redis'];

async function sample(minute: number, sent: number): Promise<Sample> {
  const pids = [...workers.map((w) => w.pid), process.pid, gateway.pid, redisPid];
  const rss = Object.fromEntries(names.map((name, i) => [name, rssMb(pids[i])]));
  const used = Number(/used_memory:(\d+)/.exec(await client.info('memory'))![1]) / 1024 / 1024;
  return { minute, sent, completed: await completed(), rss, redisUsedMb: used };
}

const fmt = (n: number, digits = 0): string => n.toFixed(digits).padStart(8);
console.log(`soak: ${MINUTES} min at ${RATE} tasks/s, ${WORKERS} workers (-c 50), gateway ingesting into ${database.name}, event stream bound ${EVENTS_MAX_MB} MiB; RSS in MB`);
console.log(['minute', 'sent', 'done', 'backlog', ...names.map((n) => n.padStart(8)), 'redis mem', 'gw behind'].join('  '));
const print = (s: Sample): void =>
  console.log(
    [
      s.minute.toFixed(1).padStart(6),
      fmt(s.sent),
      fmt(s.completed),
      fmt(s.sent - s.completed).padStart(7),
      ...names.map((n) => fmt(s.rss[n]!, 1)),
      fmt(s.redisUsedMb, 1).padStart(9),
      `${gatewayLag.behindMs === null ? '–' : (gatewayLag.behindMs / 1000).toFixed(1) + ' s'}`.padStart(9),
    ].join('  '),
  );

// Steady sending: each 100 ms tick sends what the clock says is due, so a slow
// tick is made up by the next one (and shortfalls are reported, not hidden).
let sent = 0;
const startedAt = Date.now();
const endAt = startedAt + MINUTES * 60_000;
let nextSample = startedAt + SAMPLE_MS;
const first = await sample(0, 0);
samples.push(first);
print(first);
while (Date.now() < endAt) {
  const due = Math.floor(((Date.now() - startedAt) / 1000) * RATE);
  if (due > sent) {
    const batch = Math.min(due - sent, RATE); // at most a second's worth per call
    const from = sent;
    await tick.bulkApply(Array.from({ length: batch }, (_, i) => [from + i] as [number]));
    sent += batch;
  }
  if (Date.now() >= nextSample) {
    const s = await sample((Date.now() - startedAt) / 60_000, sent);
    samples.push(s);
    print(s);
    nextSample += SAMPLE_MS;
  }
  await sleep(Math.max(0, TICK_MS - ((Date.now() - startedAt) % TICK_MS)));
}
const achieved = sent / ((Date.now() - startedAt) / 1000);
const last = samples.at(-1)!;
const behindAtEnd = gatewayLag.behindMs;

// Drain: everything sent must run.
const drainDeadline = Date.now() + 120_000;
while ((await completed()) < sent && Date.now() < drainDeadline) await sleep(250);
const done = await completed();
const ranTwice = await twice();
// Not run by the end of the drain: still in Redis (ready, delayed or leased), or lost.
const queue = queueKeys(prefix, 'default');
const pending = (await client.zcard(queue.ready)) + (await client.zcard(queue.delayed)) + (await client.zcard(queue.leased));
const lost = Math.max(0, sent - done - pending);
// And reach the monitor's database: give the gateway a minute to catch up.
const ingestedIn = async (): Promise<number> => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM tasks WHERE name = 'soak.tick' AND state = 'SUCCESS'`)).rows[0]!.n);
const ingestDeadline = Date.now() + 60_000;
while ((await ingestedIn()) < sent && Date.now() < ingestDeadline) await sleep(1_000);
const ingested = await ingestedIn();

/** Least-squares slope of y over x, per minute. */
function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx;
}

console.log('');
console.log(`sent ${sent} (${achieved.toFixed(0)} tasks/s of ${RATE} asked), completed ${done}, still queued after a 2-minute drain ${pending}, lost ${lost}, run twice ${ranTwice}, in the monitor's database ${ingested}`);
console.log(
  `backlog at the last sample ${last.sent - last.completed} tasks; the gateway was ${behindAtEnd === null ? '–' : `${(behindAtEnd / 1000).toFixed(1)} s`} behind the stream when sending stopped` +
    (last.sent - last.completed > RATE * 10 ? ' (the workers did not keep up: the rate is above what this machine sustains now, and a growing backlog grows Redis)' : ''),
);
const third = Math.max(2, Math.ceil(samples.length / 3));
const series: [string, (s: Sample) => number][] = [...names.map((n): [string, (s: Sample) => number] => [`${n} RSS`, (s) => s.rss[n]!]), ['redis used_memory', (s) => s.redisUsedMb]];
let growing = 0;
for (const [label, pick] of series) {
  const points = samples.map((s): [number, number] => [s.minute, pick(s)]);
  const early = slope(points.slice(0, third));
  const late = slope(points.slice(-third));
  // Bounded: the last third climbs by under 1 MB a minute, or at under half the first third's pace.
  const bounded = late < 1 || late < early / 2;
  if (!bounded) growing++;
  console.log(
    `${label.padEnd(20)} ${points[0]![1].toFixed(1).padStart(7)} → ${points.at(-1)![1].toFixed(1).padStart(7)} MB; slope first third ${early.toFixed(2).padStart(6)} MB/min, last third ${late.toFixed(2).padStart(6)} MB/min: ${bounded ? 'levels off' : 'STILL GROWING'}`,
  );
}
if (samples.length < 6) console.log(`(only ${samples.length} samples: run longer for a firmer verdict)`);

stopChildren();
await app.close();
client.disconnect();
await db.end();
await database.drop();
await redis.destroy();
process.exitCode = lost > 0 || pending > 0 || growing > 0 ? 1 : 0;
