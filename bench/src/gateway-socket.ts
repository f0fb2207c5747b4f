// Event-to-socket latency: how long after a worker emits a task event a browser
// connected to the gateway's live feed sees the task in that state, while the
// gateway ingests a steady load (default 10,000 events/s).
//
//   npm run bench:gateway-socket                      a table
//   tsx --conditions=@lovage/source src/gateway-socket.ts --json --rate 10000 --seconds 10 --clients 5
//
// The path measured is the whole one: producer buffer → Redis stream → ingest
// (consumer group, one Postgres transaction per batch) → coalescing (≤ 10
// messages a second per room) → socket.io → client. Latency of one task is the
// client's arrival time minus the `task-succeeded` event's timestamp (same
// process, same clock). Half the clients watch the whole task list (capped at
// 200 tasks per message, the rest counted as dropped), half a filtered list.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import { Lovage, type EventProducer } from '@lovage/engine';
import { createGateway, migratePostgres, type Gateway } from '@lovage/gateway';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const arg = (name: string, fallback: number): number => {
  const index = argv.indexOf(name);
  return index >= 0 ? Number(argv[index + 1]) : fallback;
};
const RATE = arg('--rate', 10_000);
const SECONDS = arg('--seconds', 10);
const CLIENTS = arg('--clients', 4);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TARGET_P95_MS = 300;
const EVENTS_PER_TASK = 4;
const TICK_MS = 10;

const runId = randomBytes(4).toString('hex');
const prefix = `lvbench-sock:${runId}:`;
const log = (msg: string): void => {
  if (!json) process.stderr.write(`${msg}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function databaseUrl(name: string): string {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

interface TaskUpdate {
  id: string;
  state: string;
  succeededAt: string | null;
}

interface Watcher {
  socket: Socket;
  latencies: number[];
  /** [task id, arrival epoch ms] of each measured arrival. */
  arrivals: [string, number][];
  messages: number;
  dropped: number;
}

async function sessionCookie(gateway: Gateway): Promise<string> {
  const response = await fetch(`${gateway.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@example.com', password: 'bench-password-1' }),
  });
  if (response.status !== 200) throw new Error(`login failed: ${response.status}`);
  return response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
}

async function watch(gatewayUrl: string, cookie: string, filter: Record<string, unknown> | undefined): Promise<Watcher> {
  const socket = io(gatewayUrl, { transports: ['websocket'], extraHeaders: { cookie }, reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.on('connect', () => resolve());
    socket.on('connect_error', reject);
  });
  const watcher: Watcher = { socket, latencies: [], arrivals: [], messages: 0, dropped: 0 };
  const seen = new Set<string>();
  socket.on('tasks:update', (update: { tasks: TaskUpdate[]; dropped: number }) => {
    const now = Date.now();
    watcher.messages++;
    watcher.dropped += update.dropped;
    for (const task of update.tasks) {
      if (task.state !== 'SUCCESS' || !task.succeededAt || seen.has(task.id)) continue;
      seen.add(task.id);
      watcher.latencies.push(now - Date.parse(task.succeededAt));
      watcher.arrivals.push([task.id, now]);
    }
  });
  const ack = (await socket.timeout(5_000).emitWithAck('subscribe', { room: 'tasks', ...(filter ? { filter } : {}) })) as { ok: boolean };
  if (!ack.ok) throw new Error('subscribe refused');
  return watcher;
}

/** Emits complete task lives (sent, received, started, succeeded) at `rate` events a second for `seconds`. */
async function load(app: Lovage, workers: EventProducer[], rate: number, seconds: number): Promise<number> {
  const tasksPerTick = Math.max(1, Math.round((rate / EVENTS_PER_TASK) * (TICK_MS / 1_000)));
  const start = Date.now();
  let task = 0;
  let events = 0;
  while (Date.now() - start < seconds * 1_000) {
    const due = Math.floor(((Date.now() - start) / TICK_MS) + 1) * tasksPerTick;
    while (task < due) {
      const worker = workers[task % workers.length]!;
      const fields = { id: `${runId}-${task}`, name: `bench.task${task % 10}`, queue: 'default', retries: 0 };
      const args = JSON.stringify([task]);
      app.events.app.emit({ type: 'task-sent', ...fields, args, priority: 0 });
      worker.emit({ type: 'task-received', ...fields, args, deliveries: 1 });
      worker.emit({ type: 'task-started', ...fields });
      worker.emit({ type: 'task-succeeded', ...fields, runtime: 1, result: 'null' });
      events += EVENTS_PER_TASK;
      task++;
    }
    await app.events.flush();
    await sleep(TICK_MS);
  }
  await app.events.flush();
  return events;
}

interface ChildReport {
  events: number;
  loadSeconds: number;
  latencies: number[];
  arrivals: [string, number][];
  messages: number[];
  dropped: number;
}

/**
 * The child process: the socket.io clients and the event producers, as in
 * production (workers and browsers are not the gateway's process).
 */
async function runClients(gatewayUrl: string, cookie: string, childPrefix: string): Promise<void> {
  const app = new Lovage({ broker: REDIS_URL, prefix: childPrefix, logLevel: 'silent' });
  const watchers: Watcher[] = [];
  try {
    for (let i = 0; i < CLIENTS; i++) watchers.push(await watch(gatewayUrl, cookie, i % 2 === 0 ? undefined : { name: `bench.task${i % 10}` }));
    const workers = Array.from({ length: 4 }, (_, i) => app.events.producer(`bench-worker-${i}@host`));
    const start = performance.now();
    const events = await load(app, workers, RATE, SECONDS);
    const loadSeconds = (performance.now() - start) / 1_000;
    // The parent says when the ingest caught up; then give the last messages time to arrive.
    const go = new Promise<void>((resolve) => process.once('message', () => resolve()));
    process.send!('loaded');
    await go;
    await sleep(1_000);
    const report: ChildReport = {
      events,
      loadSeconds,
      latencies: watchers.flatMap((watcher) => watcher.latencies),
      arrivals: watchers.flatMap((watcher) => watcher.arrivals),
      messages: watchers.map((watcher) => watcher.messages),
      dropped: watchers.reduce((sum, watcher) => sum + watcher.dropped, 0),
    };
    await new Promise<void>((resolve) => process.send!(report, () => resolve()));
  } finally {
    for (const watcher of watchers) watcher.socket.close();
    await app.close();
  }
}

async function main(): Promise<void> {
  const dbName = `lovage_bench_socket_${runId}`;
  await admin((c) => c.query(`CREATE DATABASE "${dbName}"`));
  const url = databaseUrl(dbName);
  const app = new Lovage({ broker: REDIS_URL, prefix, logLevel: 'silent' });
  let gateway: Gateway | undefined;
  try {
    await migratePostgres(url);
    gateway = await createGateway({
      databaseUrl: url,
      port: 0,
      host: '127.0.0.1',
      logLevel: 'warn',
      app,
      retention: false,
      ingest: { consumer: 'bench', blockMs: 50 },
      security: { adminEmail: 'bench@example.com', adminPassword: 'bench-password-1', metricsToken: undefined },
      passwordCost: 1_024,
    });
    // When each task's success was committed, to split the latency into ingest and feed.
    const ingestLatencies: number[] = [];
    const committedAt = new Map<string, number>();
    gateway.ingest!.onApplied((batch) => {
      const now = Date.now();
      for (const task of batch.tasks) {
        if (task.succeededAt === null || committedAt.has(task.id)) continue;
        committedAt.set(task.id, now);
        ingestLatencies.push(now - task.succeededAt);
      }
    });
    const cookie = await sessionCookie(gateway);

    log(`gateway socket: ${RATE} events/s for ${SECONDS} s, ${CLIENTS} socket.io clients on the task list (clients and producers in a child process)`);
    const child = fork(fileURLToPath(import.meta.url), [...argv, '--child', gateway.url, cookie, prefix], { execArgv: process.execArgv });
    const report = await new Promise<ChildReport>((resolve, reject) => {
      child.on('message', (message) => {
        if (typeof message === 'object' && message !== null && 'latencies' in message) resolve(message as ChildReport);
        else if (message === 'loaded') void caughtUp();
      });
      child.on('exit', (code) => reject(new Error(`the client process exited with ${code}`)));
      const caughtUp = async () => {
        const deadline = Date.now() + 60_000;
        while (Date.now() < deadline && !(await gateway!.ingest!.lag()).caughtUp) await sleep(50);
        child.send('go');
      };
    });
    await new Promise((resolve) => child.once('exit', resolve));

    const latencies = report.latencies.sort((a, b) => a - b);
    const messagesPerSecond = Math.max(...report.messages) / report.loadSeconds;
    const expected = report.events / EVENTS_PER_TASK;
    log(`  ${report.events} events (${Math.round(report.events / report.loadSeconds)}/s), ${expected} tasks; ${latencies.length} task arrivals measured, ${report.dropped} coalesced past the per-message cap`);
    ingestLatencies.sort((a, b) => a - b);
    const feedLatencies = report.arrivals
      .filter(([id]) => committedAt.has(id))
      .map(([id, at]) => at - committedAt.get(id)!)
      .sort((a, b) => a - b);

    const p95 = percentile(latencies, 95);
    const rows = [
      { name: 'gateway_socket_latency_p50', unit: 'ms', lovage: percentile(latencies, 50), peer: 'target', peerValue: TARGET_P95_MS, ratio: TARGET_P95_MS / Math.max(1, percentile(latencies, 50)) },
      { name: 'gateway_socket_latency_p95', unit: 'ms', lovage: p95, peer: 'target', peerValue: TARGET_P95_MS, ratio: TARGET_P95_MS / Math.max(1, p95) },
      { name: 'gateway_socket_latency_p99', unit: 'ms', lovage: percentile(latencies, 99), peer: 'target', peerValue: TARGET_P95_MS, ratio: TARGET_P95_MS / Math.max(1, percentile(latencies, 99)) },
      // The two legs: event → committed in Postgres (the ingest), and commit → client (the live feed: coalescing and socket.io).
      { name: 'gateway_socket_ingest_p95', unit: 'ms', lovage: percentile(ingestLatencies, 95), peer: 'target', peerValue: TARGET_P95_MS, ratio: TARGET_P95_MS / Math.max(1, percentile(ingestLatencies, 95)) },
      { name: 'gateway_socket_feed_p95', unit: 'ms', lovage: percentile(feedLatencies, 95), peer: 'target', peerValue: TARGET_P95_MS, ratio: TARGET_P95_MS / Math.max(1, percentile(feedLatencies, 95)) },
      { name: 'gateway_socket_load', unit: 'events/s', lovage: report.events / report.loadSeconds, peer: 'target', peerValue: RATE, ratio: report.events / report.loadSeconds / RATE },
      // Coalescing: at most ~10 messages a second per room, whatever the event rate.
      { name: 'gateway_socket_messages', unit: 'msg/s', lovage: messagesPerSecond, peer: 'target', peerValue: 10, ratio: 10 / Math.max(1, messagesPerSecond) },
    ];
    for (const r of rows) {
      const out = { name: r.name, unit: r.unit, lovage: Math.round(r.lovage * 10) / 10, peer: r.peer, peerValue: r.peerValue, ratio: Math.round(r.ratio * 100) / 100 };
      if (json) process.stdout.write(`${JSON.stringify(out)}\n`);
      else process.stdout.write(`${out.name.padEnd(28)} ${String(out.lovage).padStart(10)} ${out.unit.padEnd(9)} ${out.peer.padEnd(7)} ${String(out.peerValue).padStart(8)}  ratio ${out.ratio}\n`);
    }
  } finally {
    await gateway?.close();
    await app.close();
    const redis = new Redis(REDIS_URL);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
    if (!argv.includes('--keep')) await admin((c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
  }
}

const childAt = argv.indexOf('--child');
if (childAt >= 0) {
  await runClients(argv[childAt + 1]!, argv[childAt + 2]!, argv[childAt + 3]!);
} else {
  await main();
}
process.exit(0);
