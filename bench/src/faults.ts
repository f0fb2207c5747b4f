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
//
// The failovers (Redis Cluster, Sentinel) run the worker in this process and
// count runs where the handler runs, since results may live on the dead master;
// their recovery time is from the kill to the first run of a task sent after
// it. Redis replicates asynchronously, so a task whose send was acknowledged by
// the dead master but not yet copied to its replica may be lost: such losses are
// allowed only for sends made before the replica was promoted, and the row says
// how many. Beat counts schedule slots: "sent" is every one-second slot between
// the first and the last sent, "completed" the slots sent, "run twice" a slot
// sent twice, recovery the first send after the leader's SIGKILL. Poison and
// malformed messages count as completed when they are in the dead-letter queue
// with a reason.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Lovage } from '@lovage/engine';
import { migratePostgres } from '@lovage/gateway';
import { startPrivatePostgres } from '@lovage/test-support/private-postgres';
import { startPrivateRedis } from '@lovage/test-support/private-redis';
import { clusterMasterOf, startRedisCluster } from '@lovage/test-support/redis-cluster';
import { startRedisSentinel } from '@lovage/test-support/redis-sentinel';
import { queueKeys } from '../../apps/engine/src/adapters/redis/keys.js';
import { startPrivateRabbit } from '../../apps/engine/test/amqp/private-rabbitmq.js';
import { killAll as killBeats, spawnBeat, type BeatChild } from '../../apps/engine/test/beat/fixtures/child.js';
import { killAll, spawnWorker, type WorkerChild } from '../../apps/engine/test/fault/child.js';
import { failoverSummary, failoverUnderLoad, type FailoverOptions } from '../../apps/engine/test/fault/failover-under-load.js';
import { createBenchDatabase } from './gateway-support.js';

interface Row {
  scenario: string;
  sent: number;
  completed: number;
  lost: number;
  runTwice: number;
  recoveryMs: number | null;
  note?: string;
  /** Losses the scenario's contract allows (acknowledged by a dead master, not yet replicated). */
  allowedLost?: number;
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

/** A private Redis, a producer app and a reader of the runs set; `broker` replaces the Redis broker (the Redis stays the store). */
async function rig(prefix: string, broker?: string) {
  const redis = await startPrivateRedis();
  const app = new Lovage({ broker: broker ?? redis.url, backend: redis.url, prefix, logLevel: 'silent' });
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
    app,
    client,
    mark,
    completed,
    firstProgressAfter,
    result,
    workerEnv: { LOVAGE_BROKER_URL: broker ?? redis.url, LOVAGE_RESULT_BACKEND: redis.url, LOVAGE_PREFIX: prefix, LOVAGE_VISIBILITY_TIMEOUT: '1s', LOVAGE_LOG_LEVEL: 'silent' },
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

type GatewayProcess = ReturnType<typeof gatewayProcess>;

/**
 * A producer sending `faults.add` every 5 ms and a worker of this process, on
 * `redisUrl`, while a gateway process ingests into `databaseUrl`. Once 200 tasks
 * are stored, `fault` strikes and returns the gateway that carries on and when
 * its ingest recovered; then the load stops and every task sent must be stored,
 * each run once (a batch applied twice would count its attempt twice in the
 * metric buckets).
 */
async function ingestUnderLoad(
  scenario: string,
  servers: { redisUrl: string; databaseUrl: string; prefix: string },
  fault: (gateway: GatewayProcess) => Promise<{ gateway: GatewayProcess; recoveryMs: number | null; notes?: string[] }>,
): Promise<Row> {
  // A pool, so the reader reconnects after a database restart like the gateway must.
  const db = new pg.Pool({ connectionString: servers.databaseUrl, max: 2 });
  db.on('error', () => undefined);
  const app = new Lovage({ broker: servers.redisUrl, prefix: servers.prefix, logLevel: 'silent' });
  const add = app.task('faults.add', (a: number, b: number) => a + b);
  const worker = app.worker({ concurrency: 20 });
  let gateway = gatewayProcess(servers.databaseUrl, servers.redisUrl, servers.prefix);
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
    const stored = async (): Promise<number> =>
      Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM tasks WHERE id = ANY($1) AND state = 'SUCCESS'`, [ids]).catch(() => ({ rows: [{ n: '-1' }] }))).rows[0]!.n);
    await until(async () => (await stored()) >= 200, 90_000);
    const struck = await fault(gateway);
    gateway = struck.gateway;
    loading = false;
    await load;
    const done = await until(async () => (await stored()) === ids.length, 120_000);
    const started = Number((await db.query<{ n: string | null }>('SELECT sum(started) AS n FROM metric_buckets')).rows[0]!.n ?? 0);
    const completed = await stored();
    const alive = gateway.child.exitCode === null && gateway.child.signalCode === null;
    const notes = [...(struck.notes ?? []), ...(alive ? [] : ['the gateway exited']), ...(done ? [] : ['timed out waiting for the rest'])];
    return {
      scenario,
      sent: ids.length,
      completed,
      lost: ids.length - completed,
      runTwice: Math.max(0, started - ids.length),
      recoveryMs: struck.recoveryMs,
      ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
    };
  } finally {
    gateway.child.kill('SIGKILL');
    await worker.close();
    await app.close();
    await db.end();
  }
}

async function gatewaySigkill(): Promise<Row> {
  const redis = await startPrivateRedis();
  const database = await createBenchDatabase('faults');
  try {
    return await ingestUnderLoad('gateway SIGKILL during ingest', { redisUrl: redis.url, databaseUrl: database.url, prefix: 'faults-gateway:' }, async (killed) => {
      const killedAt = Date.now();
      killed.child.kill('SIGKILL');
      await killed.exited;
      const gateway = gatewayProcess(database.url, redis.url, 'faults-gateway:');
      await gateway.ready;
      const recovered = await until(() => Promise.resolve(gateway.batches() > 0), 120_000);
      return { gateway, recoveryMs: recovered ? Date.now() - killedAt : null };
    });
  } finally {
    await database.drop();
    await redis.destroy();
  }
}

/**
 * failoverUnderLoad (the failover tests' run) with 1,000 sends before the kill
 * and after the promotion, as a row: recovery is the first run of a task sent
 * after the kill to the dead master's queue (the first); lost tasks sent before
 * the promotion are the losses asynchronous replication allows.
 */
async function failoverRow(scenario: string, options: Omit<FailoverOptions, 'prefix' | 'sendsBefore' | 'sendsAfter' | 'phaseTimeoutMs'>): Promise<Row> {
  const run = await failoverUnderLoad({ ...options, prefix: `faults-failover-${Date.now()}:`, sendsBefore: 1_000, sendsAfter: 1_000, phaseTimeoutMs: 90_000 });
  // Give a task sent before the promotion the same time to turn up, then count it lost.
  await until(() => Promise.resolve(run.sent.every((s) => run.runs.has(s.n))), 10_000);
  const summary = failoverSummary(run);
  const firstAfter = Math.min(...run.sent.filter((s) => s.at > run.killedAt && s.queue === options.queues[0]).map((s) => run.runs.get(s.n)?.at ?? Infinity));
  const allowedLost = summary.lost - summary.lostAfterPromotion;
  const notes = [`replica serving ${(summary.promotionMs / 1000).toFixed(1)} s after the kill`];
  if (allowedLost > 0) notes.push(`${allowedLost} lost were acknowledged by the dead master before the promotion`);
  if (!run.promoted) notes.push('no promotion seen');
  if (!run.allAfterRan) notes.push('timed out waiting for the rest');
  return {
    scenario,
    sent: summary.sent,
    completed: summary.sent - summary.lost,
    lost: summary.lost,
    runTwice: summary.ranTwice,
    recoveryMs: Number.isFinite(firstAfter) ? firstAfter - run.killedAt : null,
    note: notes.join('; '),
    allowedLost,
  };
}

async function clusterFailover(): Promise<Row> {
  const cluster = await startRedisCluster();
  try {
    // Three queues, so the load spreads over the masters; the victim serves the first one's keys.
    const queues = ['fo-a', 'fo-b', 'fo-c'];
    const probe = `{q:fo-a}`;
    const victimPort = (await clusterMasterOf(probe, cluster.nodes[0]!.port))!;
    const victim = cluster.nodes.find((node) => node.port === victimPort)!;
    const survivor = cluster.nodes.find((node) => node.port !== victimPort)!;
    return await failoverRow('Redis Cluster master failover under load', {
      broker: cluster.url,
      queues,
      kill: () => process.kill(victim.pid, 'SIGKILL'),
      promoted: async () => {
        const port = await clusterMasterOf(probe, survivor.port);
        return port !== undefined && port !== victimPort;
      },
    });
  } finally {
    await cluster.stop();
  }
}

async function sentinelFailover(): Promise<Row> {
  const sentinel = await startRedisSentinel({ replica: true });
  const asker = new Redis({ port: sentinel.sentinelPort, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  asker.on('error', () => undefined);
  try {
    return await failoverRow('Sentinel failover under load', {
      broker: sentinel.url,
      queues: ['default'],
      kill: () => process.kill(sentinel.masterPid, 'SIGKILL'),
      promoted: async () => {
        const reply = (await asker.call('SENTINEL', 'get-master-addr-by-name', sentinel.masterName).catch(() => null)) as [string, string] | null;
        return reply !== null && Number(reply[1]) === sentinel.replicaPort;
      },
    });
  } finally {
    asker.disconnect();
    await sentinel.stop();
  }
}

async function postgresRestart(): Promise<Row> {
  const redis = await startPrivateRedis();
  const postgres = await startPrivatePostgres();
  try {
    await migratePostgres(postgres.url);
    return await ingestUnderLoad('Postgres restart during ingest', { redisUrl: redis.url, databaseUrl: postgres.url, prefix: 'faults-postgres:' }, async (gateway) => {
      const stoppedAt = Date.now();
      await postgres.stop();
      // Down long enough for the ingest to fail several batches while the workers keep going.
      await sleep(3_000);
      await postgres.start();
      const batchesAtStart = gateway.batches();
      const recovered = await until(() => Promise.resolve(gateway.batches() > batchesAtStart), 120_000);
      return { gateway, recoveryMs: recovered ? Date.now() - stoppedAt : null, notes: ['Postgres down 3 s'] };
    });
  } finally {
    await postgres.destroy();
    await redis.destroy();
  }
}

interface BeatSend {
  dueAt: number;
  sentAt: number;
}

async function beatLeaderSigkill(): Promise<Row> {
  const redis = await startPrivateRedis();
  const prefix = 'faults-beat:';
  const client = new Redis(redis.url);
  const lockTtlMs = 2_000;
  const env = { LOVAGE_BROKER_URL: redis.url, LOVAGE_PREFIX: prefix, LOVAGE_LOG_LEVEL: 'info', BEAT_SCHEDULE: JSON.stringify({ tick: { task: 'faults.tick', schedule: '1s', catchUp: 'all' } }) };
  // No worker: every message beat sent stays in the queue's hash, with its slot in the beat header.
  const sends = async (): Promise<BeatSend[]> =>
    (await client.hvals(queueKeys(prefix, 'default').messages))
      .map((body) => JSON.parse(body) as { sentAt: number; headers: { beat?: { dueAt: string } } })
      .filter((m) => m.headers.beat)
      .map((m) => ({ dueAt: Date.parse(m.headers.beat!.dueAt), sentAt: m.sentAt }));
  const beats: BeatChild[] = ['beat-1', 'beat-2'].map((name) => spawnBeat(name, env, ['--lock-ttl', `${lockTtlMs}ms`]));
  try {
    await Promise.all(beats.map((beat) => beat.ready));
    if (!(await until(async () => (await sends()).length >= 5, 30_000))) throw new Error('beat-sigkill: beat sent nothing within 30 s');
    const leader = beats.find((beat) => beat.lines.some((line) => line.msg === 'beat: leader'))!;
    const killedAt = Date.now();
    leader.child.kill('SIGKILL');
    await leader.exited;
    const standby = beats.find((beat) => beat !== leader)!;
    await until(() => Promise.resolve(standby.lines.some((line) => line.msg === 'beat: leader')), 30_000);
    await until(async () => (await sends()).filter((send) => send.sentAt > killedAt).length >= 5, 30_000);
    standby.child.kill('SIGTERM');
    await standby.exited;
    const all = await sends();
    const dues = all.map((send) => send.dueAt);
    const distinct = new Set(dues);
    const slots = (Math.max(...dues) - Math.min(...dues)) / 1_000 + 1;
    const firstAfter = Math.min(...all.filter((send) => send.sentAt > killedAt).map((send) => send.sentAt));
    return {
      scenario: 'beat leader SIGKILL (standby takes over)',
      sent: slots,
      completed: distinct.size,
      lost: slots - distinct.size,
      runTwice: dues.length - distinct.size,
      recoveryMs: Number.isFinite(firstAfter) ? firstAfter - killedAt : null,
      note: `1 s schedule, lock TTL ${lockTtlMs / 1000} s, catchUp 'all' sends the gap's slots late`,
    };
  } finally {
    killBeats();
    client.disconnect();
    await redis.destroy();
  }
}

async function poisonAndMalformed(): Promise<Row> {
  const prefix = 'faults-poison:';
  const r = await rig(prefix);
  const env = { ...r.workerEnv, LOVAGE_MAX_DELIVERIES: '2' };
  // Worker processes that a supervisor replaces whenever the poison kills one.
  let supervising = true;
  let deaths = 0;
  let current: WorkerChild | undefined;
  // Recovery: from the first death to the first good task completed after it.
  let recovery: Promise<number | null> = Promise.resolve(null);
  const supervisor = (async () => {
    while (supervising) {
      current = spawnWorker(env, ['-c', '10', '--prefetch', '20']);
      await current.ready.catch(() => undefined);
      await current.exited;
      if (!supervising) break;
      if (deaths++ === 0) {
        const diedAt = Date.now();
        recovery = r.completed().then((before) => r.firstProgressAfter(diedAt, before));
      }
    }
  })();
  try {
    const good = 1_000;
    const poison = r.app.task('fault.poison', () => undefined);
    await poison.delay();
    // Malformed messages pushed by hand beside the good ones: not JSON, no id, an unknown task.
    const k = queueKeys(prefix, 'default');
    await r.client
      .multi()
      .hset(k.messages, 'hand-1', 'this is not json', 'hand-2', '{"v":1,"task":"fault.mark"}', 'hand-3', '{"v":1,"id":"hand-3","task":"nope","args":[],"queue":"default","priority":0,"retries":0,"headers":{},"attempts":[],"sentAt":0}')
      .zadd(k.ready, 1, 'hand-1', 2, 'hand-2', 3, 'hand-3')
      .lpush(k.marker, '1')
      .exec();
    await r.mark.bulkApply(Array.from({ length: good }, (_, i) => [i] as [number]));
    const broker = r.app.broker();
    /** The good task's n of a dead letter, or undefined for the poison and the malformed ones. */
    const goodN = (body: string): number | undefined => {
      try {
        const message = JSON.parse(body) as { task?: string; args?: unknown[] };
        return message.task === 'fault.mark' && typeof message.args?.[0] === 'number' ? message.args[0] : undefined;
      } catch {
        return undefined;
      }
    };
    // Every message accounted for: a good one ran or lies in the dead-letter queue, each bad one lies there.
    const accounted = async (): Promise<{ ran: number; deadBad: number; deadGood: number; reasons: string[] }> => {
      const dead = await broker.deadLetters('default', 10_000);
      const ran = new Set((await r.client.smembers(`${prefix}marks`)).map((member) => Number(member.split(':')[0])));
      const deadGood = new Set(dead.map((letter) => goodN(letter.body)).filter((n): n is number => n !== undefined && !ran.has(n)));
      const bad = dead.filter((letter) => goodN(letter.body) === undefined && letter.reason.length > 0);
      return { ran: ran.size, deadBad: bad.length, deadGood: deadGood.size, reasons: bad.map((letter) => letter.reason) };
    };
    const done = await until(async () => {
      const now = await accounted();
      return now.deadBad >= 4 && now.ran + now.deadGood === good;
    }, 180_000);
    const final = await accounted();
    const row = await r.result('poison and malformed messages', good, null, done);
    const recoveryMs = await recovery;
    // The reasons' kinds, without the ids and details in them.
    const kinds = [...new Set(final.reasons.map((reason) => reason.replace(/\(.*$/, '').replace(/".*"/, '"…"').replace(/: .*/, '').trim()))].join(' | ');
    const completed = final.ran + final.deadBad + final.deadGood;
    return {
      ...row,
      sent: good + 4,
      completed,
      lost: good + 4 - completed,
      recoveryMs,
      note: [
        `maxDeliveries 2, ${deaths} worker deaths`,
        `${final.deadBad} bad dead-lettered with a reason (${kinds})`,
        ...(final.deadGood > 0 ? [`${final.deadGood} good tasks leased beside the poison in every death dead-lettered too`] : []),
        ...(done ? [] : ['timed out waiting for the rest']),
      ].join('; '),
    };
  } finally {
    supervising = false;
    current?.child.kill('SIGKILL');
    await supervisor;
    await r.close();
  }
}

async function rabbitmqRestart(): Promise<Row> {
  const rabbit = await startPrivateRabbit();
  const r = await rig('faults-rabbit:', rabbit.url);
  try {
    const worker = spawnWorker(r.workerEnv, ['-c', '20', '--prefetch', '40']);
    await worker.ready;
    await r.mark.bulkApply(Array.from({ length: 2_000 }, (_, i) => [i] as [number]));
    await until(async () => (await r.completed()) >= 300, 60_000);
    const before = await r.completed();
    const stoppedAt = Date.now();
    await rabbit.stop();
    // Producers keep calling delay() during the outage: the calls wait for the broker.
    const duringOutage = Promise.all(Array.from({ length: 500 }, (_, i) => r.mark.delay(2_000 + i)));
    await rabbit.start();
    const upAt = Date.now();
    await duringOutage;
    const sent = 2_500;
    const recoveryMs = await r.firstProgressAfter(stoppedAt, before);
    const done = await until(async () => (await r.completed()) === sent, 180_000);
    const row = await r.result('RabbitMQ restart under load', sent, recoveryMs, done);
    return { ...row, note: [`node down ${((upAt - stoppedAt) / 1000).toFixed(1)} s (stop and start)`, ...(row.note ? [row.note] : [])].join('; ') };
  } finally {
    await r.close();
    await rabbit.destroy();
  }
}

const scenarios: [string, () => Promise<Row>][] = [
  ['worker-sigkill', workerSigkill],
  ['redis-restart', redisRestart],
  ['gateway-sigkill', gatewaySigkill],
  ['cluster-failover', clusterFailover],
  ['sentinel-failover', sentinelFailover],
  ['postgres-restart', postgresRestart],
  ['beat-sigkill', beatLeaderSigkill],
  ['poison', poisonAndMalformed],
  ['rabbitmq-restart', rabbitmqRestart],
];

function print(rows: Row[]): void {
  const header = ['scenario', 'tasks sent', 'completed', 'lost', 'run twice', 'recovery time'];
  const cells = rows.map((row) => [
    row.scenario,
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
  // Notes under the table, so its columns stay narrow.
  const notes = rows.filter((row) => row.note);
  if (notes.length > 0) console.log('');
  for (const row of notes) console.log(`${row.scenario}: ${row.note}`);
}

const only = process.argv.slice(2);
const rows: Row[] = [];
for (const [name, run] of scenarios) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stderr.write(`faults: ${name}…\n`);
  rows.push(await run());
}
print(rows);
process.exitCode = rows.some((row) => row.lost > (row.allowedLost ?? 0) || row.recoveryMs === null) ? 1 : 0;
