// The gateway watching a Python Celery cluster: how many Celery events per second it turns into
// rows, and that none is lost while it runs. Python processes send the events of a burst of
// tasks through Celery's own EventDispatcher (task-received, task-started, then task-succeeded
// or, for one task in 20, task-failed with a traceback), buffered into task.multi messages as
// a worker on an event loop sends them; the gateway (LOVAGE_CELERY_BROKER_URL) subscribes to
// celeryev and writes into a fresh Postgres database.
//
//   npm run bench:celery-ingest -w @lovage/bench                  a table
//   tsx --conditions=@lovage/source src/celery-ingest.ts [--json] [--tasks 20000] [--senders 2] [--buffer 24]
//
// The clock runs from the first sender's first event to the moment every task is stored in its
// final state. Pub/sub keeps nothing for a subscriber that falls behind Redis's output buffer
// limit, so "lost" counts tasks missing or unfinished after the senders are done and the
// gateway has been quiet for a while. The senders' own rate is printed too: when the ingest
// rate equals it, the senders were the bottleneck, not the gateway.
import { randomBytes } from 'node:crypto';
import { parseCeleryClusters } from '@lovage/gateway';
import { peerConfig, runPythonModule } from '@lovage/test-support/python-peer';
import { deleteKeysWithPrefix, uniquePrefix } from '@lovage/test-support/redis-keys';
import { Redis } from 'ioredis';
import { benchArgs, createBenchDatabase, printMeasurements, progress, REDIS_URL, sleep, startBenchGateway, withClient } from './gateway-support.js';

const args = benchArgs();
const TASKS = args.number('--tasks', 20_000);
const SENDERS = args.number('--senders', 2);
const BUFFER = args.number('--buffer', 24);
const TARGET_EVENTS_PER_S = 20_000;
/** How long the stored count may stay still, once the senders are done, before the rest counts as lost. */
const QUIET_MS = 10_000;
const log = progress(args.json);

const run = randomBytes(4).toString('hex');
const config = peerConfig('ingest', { keyPrefix: uniquePrefix('celery-ingest') });
const database = await createBenchDatabase('celery_ingest');
const gateway = await startBenchGateway(database.url, { celery: parseCeleryClusters(`bench=${config.brokerUrl}`, config.keyPrefix) });
const redis = new Redis(REDIS_URL);

/** Tasks stored in a final state, and all tasks stored. */
async function stored(): Promise<{ final: number; all: number }> {
  return withClient(database.url, async (db) => {
    const { rows } = await db.query<{ final: string; all: string }>(
      `SELECT count(*) FILTER (WHERE state IN ('SUCCESS', 'FAILURE')) AS final, count(*) AS all FROM tasks WHERE cluster = 'bench'`,
    );
    return { final: Number(rows[0]!.final), all: Number(rows[0]!.all) };
  });
}

try {
  while (gateway.celery[0]!.status().state !== 'running') await sleep(50);
  log(`sending the events of ${TASKS} tasks from ${SENDERS} Python processes (task.multi of ${BUFFER})`);
  const share = Math.ceil(TASKS / SENDERS);
  const senders = Array.from({ length: SENDERS }, async (_, i) => {
    const count = Math.max(0, Math.min(share, TASKS - i * share));
    const { stdout } = await runPythonModule('peer_project.emit_events', config, {
      args: [run, String(i * share), String(count), `celery@bench-${i}`, String(BUFFER)],
      timeoutMs: 600_000,
    });
    return JSON.parse(stdout.trimEnd().split('\n').pop()!) as { events: number; started: number; seconds: number };
  });
  // Follow the stored count while the senders send, so the end is seen as soon as it comes.
  let done = false;
  const sent = Promise.all(senders).finally(() => (done = true));
  let last = { final: 0, all: 0 };
  let lastChange = Date.now();
  let finishedAt = 0;
  for (;;) {
    const now = await stored();
    if (now.final !== last.final) lastChange = Date.now();
    last = now;
    if (now.final >= TASKS) {
      finishedAt = Date.now();
      break;
    }
    if (done && Date.now() - lastChange > QUIET_MS) break;
    await sleep(100);
  }
  const reports = await sent;
  const events = reports.reduce((sum, r) => sum + r.events, 0);
  const firstEvent = Math.min(...reports.map((r) => r.started)) * 1000;
  const sendSeconds = Math.max(...reports.map((r) => r.started * 1000 + r.seconds * 1000)) / 1000 - firstEvent / 1000;
  const lost = TASKS - last.final;
  const ingestSeconds = finishedAt > 0 ? (finishedAt - firstEvent) / 1000 : Number.NaN;
  const status = gateway.celery[0]!.status();
  log(`stored ${last.final} of ${TASKS} tasks in a final state; the event source says ${JSON.stringify({ applied: status.eventsApplied, malformed: status.malformed, dropped: status.dropped })}`);
  printMeasurements(
    [
      { name: 'celery_events_ingested', unit: 'events/s', lovage: events / ingestSeconds, target: TARGET_EVENTS_PER_S, better: 'higher' },
      { name: 'celery_events_sent', unit: 'events/s', lovage: events / sendSeconds, target: null, better: 'higher' },
      { name: 'celery_tasks_lost', unit: 'tasks', lovage: lost, target: 0, better: 'lower' },
    ],
    args.json,
  );
  if (lost > 0) process.exitCode = 1;
} finally {
  await gateway.close();
  await database.drop();
  await deleteKeysWithPrefix(redis, config.keyPrefix);
  redis.disconnect();
}
