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
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import { Lovage, type EventProducer } from '@lovage/engine';
import type { Gateway } from '@lovage/gateway';
import {
  benchArgs,
  createBenchDatabase,
  percentile,
  printMeasurements, tearDown,
  progress,
  REDIS_URL,
  runId as newRunId,
  sessionCookie,
  sleep,
  startBenchGateway,
} from './gateway-support.js';

const args = benchArgs();
const argv = args.argv;
const RATE = args.number('--rate', 10_000);
const SECONDS = args.number('--seconds', 10);
const CLIENTS = args.number('--clients', 4);
const TARGET_P95_MS = 300;
const EVENTS_PER_TASK = 4;
const TICK_MS = 10;

const runId = newRunId();
const prefix = `lvbench-sock:${runId}:`;
const log = progress(args.json);

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
  /** Arrival times (epoch ms) of the first and the last message. */
  firstAt: number;
  lastAt: number;
  dropped: number;
}

async function watch(gatewayUrl: string, cookie: string, filter: Record<string, unknown> | undefined): Promise<Watcher> {
  const socket = io(gatewayUrl, { transports: ['websocket'], extraHeaders: { cookie }, reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.on('connect', () => resolve());
    socket.on('connect_error', reject);
  });
  const watcher: Watcher = { socket, latencies: [], arrivals: [], messages: 0, firstAt: 0, lastAt: 0, dropped: 0 };
  const seen = new Set<string>();
  socket.on('tasks:update', (update: { tasks: TaskUpdate[]; dropped: number }) => {
    const now = Date.now();
    watcher.messages++;
    if (watcher.firstAt === 0) watcher.firstAt = now;
    watcher.lastAt = now;
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
  /** Messages a second each client received, between its first and its last message. */
  messageRates: number[];
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
      messageRates: watchers.map((watcher) => (watcher.messages - 1) / Math.max(0.001, (watcher.lastAt - watcher.firstAt) / 1_000)),
      dropped: watchers.reduce((sum, watcher) => sum + watcher.dropped, 0),
    };
    await new Promise<void>((resolve) => process.send!(report, () => resolve()));
  } finally {
    for (const watcher of watchers) watcher.socket.close();
    await app.close();
  }
}

async function main(): Promise<void> {
  const database = await createBenchDatabase('socket', args.has('--keep'));
  const app = new Lovage({ broker: REDIS_URL, prefix, logLevel: 'silent' });
  let gateway: Gateway | undefined;
  try {
    gateway = await startBenchGateway(database.url, { app, ingest: { consumer: 'bench', blockMs: 50 } });
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
    const cookie = await sessionCookie(gateway.url);

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
    const messagesPerSecond = Math.max(...report.messageRates);
    const expected = report.events / EVENTS_PER_TASK;
    log(`  ${report.events} events (${Math.round(report.events / report.loadSeconds)}/s), ${expected} tasks; ${latencies.length} task arrivals measured, ${report.dropped} coalesced past the per-message cap`);
    ingestLatencies.sort((a, b) => a - b);
    const feedLatencies = report.arrivals
      .filter(([id]) => committedAt.has(id))
      .map(([id, at]) => at - committedAt.get(id)!)
      .sort((a, b) => a - b);

    const target = (name: string, unit: string, lovage: number, bar: number, better: 'higher' | 'lower' = 'lower') => ({ name, unit, lovage, target: bar, better });
    printMeasurements(
      [
        target('gateway_socket_latency_p50', 'ms', percentile(latencies, 50), TARGET_P95_MS),
        target('gateway_socket_latency_p95', 'ms', percentile(latencies, 95), TARGET_P95_MS),
        target('gateway_socket_latency_p99', 'ms', percentile(latencies, 99), TARGET_P95_MS),
        // The two legs: event → committed in Postgres (the ingest), and commit → client (the live feed: coalescing and socket.io).
        target('gateway_socket_ingest_p95', 'ms', percentile(ingestLatencies, 95), TARGET_P95_MS),
        target('gateway_socket_feed_p95', 'ms', percentile(feedLatencies, 95), TARGET_P95_MS),
        target('gateway_socket_load', 'events/s', report.events / report.loadSeconds, RATE, 'higher'),
        // Coalescing: at most ~10 messages a second per room, whatever the event rate.
        target('gateway_socket_messages', 'msg/s', messagesPerSecond, 10),
      ],
      args.json,
    );
  } finally {
    await tearDown({ gateway, app, prefix, database });
  }
}

const childAt = argv.indexOf('--child');
if (childAt >= 0) {
  await runClients(argv[childAt + 1]!, argv[childAt + 2]!, argv[childAt + 3]!);
} else {
  await main();
}
process.exit(0);
