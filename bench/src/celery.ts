// Lovage against Celery on Celery's own ground: the same 20,000 no-op tasks
// (peer.noop of the test-support peer project), produced by Python (one
// process, one kombu producer) into a Celery queue on Redis, then drained once
// by a Python `celery worker -P prefork -c 2` and once by a Lovage worker in
// protocol 'celery' (concurrency 50). Both store every result in
// celery-task-meta-*, both run at their defaults otherwise (Celery's prefetch
// multiplier 4, Lovage's events on); Celery's per-task log lines are off.
//
//   npm run bench:celery -w @lovage/bench                 a table
//   npm run bench:celery -w @lovage/bench -- --json       one JSON object per runner
//   npm run bench:celery -w @lovage/bench -- --tasks 5000 scale down
//   npm run bench:celery -w @lovage/bench -- --lovage-only the Lovage drain alone (to profile it)
//
// The clock: each queue is filled before its worker starts; a drain starts at
// the worker's first pop (the queue list gets shorter) and ends when the queue
// is empty, nothing is unacked and the last sent task's result exists. Worker
// start-up is not counted for either. Every result is then checked.
import { Redis } from 'ioredis';
import { Lovage } from '@lovage/engine';
import { startCeleryWorker } from '@lovage/test-support/celery-worker';
import { cleanupPeer, peerConfig, runPythonModule, type PeerConfig } from '@lovage/test-support/python-peer';
import { deleteKeysWithPrefix, uniquePrefix } from '@lovage/test-support/redis-keys';
import { benchArgs, progress, REDIS_URL, sleep } from './gateway-support.js';

const args = benchArgs();
const TASKS = args.number('--tasks', 20_000);
const LOVAGE_CONCURRENCY = 50;
const log = progress(args.json);
const redis = new Redis(REDIS_URL);

const resultKey = (id: string): string => `celery-task-meta-${id}`;

interface Drain {
  runner: string;
  produced: { perS: number; seconds: number };
  seconds: number;
  perS: number;
}

/** Fills the config's queue with `TASKS` peer.noop messages from one Python process. */
async function produce(config: PeerConfig): Promise<{ ids: string[]; seconds: number }> {
  const { stdout } = await runPythonModule('peer_project.produce', config, { args: [String(TASKS)], timeoutMs: 600_000 });
  const sent = JSON.parse(stdout.trimEnd().split('\n').pop() ?? '') as { ids: string[]; seconds: number };
  if (sent.ids.length !== TASKS) throw new Error(`the producer sent ${sent.ids.length} of ${TASKS}`);
  return sent;
}

/**
 * Times one drain of the filled queue by the worker `start` starts. Polls the
 * queue and kombu's unacked hash every 10 ms: the same cheap reads for both runners.
 */
async function timeDrain(config: PeerConfig, lastId: string, start: () => Promise<void>): Promise<number> {
  const queueKey = `${config.keyPrefix}${config.queue}`;
  const unackedKey = `${config.keyPrefix}unacked`;
  let firstPop: number | undefined;
  let done: number | undefined;
  const watch = (async () => {
    for (;;) {
      const replies = (await redis.multi().llen(queueKey).hlen(unackedKey).exists(resultKey(lastId)).exec()) ?? [];
      const [length, unacked, last] = replies.map(([err, value]) => {
        if (err) throw err;
        return value as number;
      });
      const now = performance.now();
      if (firstPop === undefined && length !== undefined && length < TASKS) firstPop = now;
      if (length === 0 && unacked === 0 && last === 1) {
        done = now;
        return;
      }
      await sleep(10);
    }
  })();
  await start();
  await watch;
  return ((done ?? 0) - (firstPop ?? 0)) / 1000;
}

/** How many of `ids` have a SUCCESS result (checked after the clock stopped). */
async function succeeded(ids: string[]): Promise<number> {
  let count = 0;
  for (let i = 0; i < ids.length; i += 1_000) {
    const metas = await redis.mget(ids.slice(i, i + 1_000).map(resultKey));
    count += metas.filter((meta) => meta !== null && (JSON.parse(meta) as { status: string }).status === 'SUCCESS').length;
  }
  return count;
}

async function drainWith(runner: string, config: PeerConfig, run: (lastId: string) => Promise<number>): Promise<Drain> {
  log(`${runner}: producing ${TASKS} peer.noop from Python…`);
  const sent = await produce(config);
  try {
    log(`${runner}: draining…`);
    const seconds = await run(sent.ids[sent.ids.length - 1]!);
    const ok = await succeeded(sent.ids);
    if (ok !== TASKS) throw new Error(`${runner}: ${ok} of ${TASKS} results are SUCCESS`);
    return { runner, produced: { perS: TASKS / sent.seconds, seconds: sent.seconds }, seconds, perS: TASKS / seconds };
  } finally {
    await cleanupPeer(redis, config, []);
    for (let i = 0; i < sent.ids.length; i += 1_000) await redis.del(...sent.ids.slice(i, i + 1_000).map(resultKey));
  }
}

function benchConfig(): PeerConfig {
  // Celery's own default prefetch (4 per process), and no per-task log lines.
  return peerConfig('bench-celery', { brokerUrl: REDIS_URL, resultBackend: REDIS_URL, prefetchMultiplier: 4, quietTasks: true });
}

async function drainWithCelery(): Promise<Drain> {
  const config = benchConfig();
  return drainWith('celery-prefork-2', config, async (lastId) => {
    let worker: Awaited<ReturnType<typeof startCeleryWorker>> | undefined;
    try {
      // Ready is its "ready." line: it has been popping since just before it, which the clock sees.
      return await timeDrain(config, lastId, async () => {
        worker = await startCeleryWorker({ config, name: 'bench', pool: 'prefork', concurrency: 2, waitForPing: false, readyTimeoutMs: 120_000 });
      });
    } finally {
      await worker?.stop();
    }
  });
}

async function drainWithLovage(): Promise<Drain> {
  const config = benchConfig();
  const prefix = uniquePrefix('bench-celery-lovage');
  const app = new Lovage({
    protocol: 'celery',
    broker: config.brokerUrl,
    celeryKeyPrefix: config.keyPrefix,
    defaultQueue: config.queue,
    prefix,
    logLevel: 'warn',
  });
  app.task('peer.noop', () => null);
  try {
    return await drainWith(`lovage-c${LOVAGE_CONCURRENCY}`, config, (lastId) =>
      timeDrain(config, lastId, () => app.worker({ concurrency: LOVAGE_CONCURRENCY }).start()),
    );
  } finally {
    await app.close();
    await deleteKeysWithPrefix(redis, prefix);
  }
}

function print(drain: Drain, celery: Drain | undefined): void {
  const line = {
    name: `celery_drain_${TASKS}`,
    unit: 'tasks/s',
    runner: drain.runner,
    value: Math.round(drain.perS),
    seconds: Math.round(drain.seconds * 100) / 100,
    producedPerS: Math.round(drain.produced.perS),
    // Lovage's line: how many times Celery's rate, against the target of 10.
    ...(celery === undefined ? {} : { ratio: Math.round((drain.perS / celery.perS) * 100) / 100, target: 10 }),
  };
  if (args.json) process.stdout.write(`${JSON.stringify(line)}\n`);
  else {
    const vs = 'ratio' in line ? `  ${line.ratio}× celery (target ${line.target}×)` : '';
    process.stdout.write(`${line.runner.padEnd(18)} ${String(line.value).padStart(8)} tasks/s  ${String(line.seconds).padStart(7)} s${vs}\n`);
  }
}

try {
  const celery = args.has('--lovage-only') ? undefined : await drainWithCelery();
  const lovage = await drainWithLovage();
  if (celery) print(celery, undefined);
  print(lovage, celery);
} finally {
  redis.disconnect();
}
process.exit(0);
