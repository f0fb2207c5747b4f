// Starts a real `lovage worker` process on the demo's broker, for the tests that watch a worker
// come and go. It runs fixtures/worker-app.ts on a queue of its own. And `lovage beat` for the
// stack's Python Celery cluster (fixtures/celery-beat-app.ts).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { unique } from './api.js';
import { brokerUrl, celeryCluster } from './stack.js';

const repoRoot = new URL('../../', import.meta.url).pathname;
const lovageBin = new URL('../../apps/engine/bin/lovage.mjs', import.meta.url).pathname;
const appModule = new URL('../fixtures/worker-app.ts', import.meta.url).pathname;
const celeryBeatModule = new URL('../fixtures/celery-beat-app.ts', import.meta.url).pathname;

/** Kills of the workers still running, so no test leaves one behind, even on a timeout. */
const running = new Set<() => void>();

/** For `test.afterEach`: SIGKILL to every worker a test started and did not stop. */
export function killStartedWorkers(): void {
  for (const kill of running) kill();
}
process.once('exit', killStartedWorkers);

export interface WorkerProcess {
  hostname: string;
  queue: string;
  /** SIGTERM (a warm shutdown); resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL if it is still running; for the test's cleanup. */
  kill(): void;
}

export async function startWorker(label: string): Promise<WorkerProcess> {
  const queue = unique(`e2e-${label}`);
  const hostname = `${queue}@e2e`;
  const started = await startLovage(`worker ${hostname}`, 'lovage worker ready', ['worker', '--app', appModule, '-Q', queue, '-n', hostname, '-c', '2', '--grace', '2s'], {});
  return { hostname, queue, ...started };
}

/**
 * Starts `lovage beat` for the stack's Python Celery cluster (fixtures/celery-beat-app.ts): protocol
 * 'celery', its schedules where the gateway reads that cluster's beat's, sending onto `queue`.
 */
export async function startCeleryBeat(queue: string): Promise<Pick<WorkerProcess, 'stop' | 'kill'>> {
  return startLovage('the Celery cluster\'s beat', 'lovage beat ready', ['beat', '--app', celeryBeatModule, '-n', unique('e2e-celery-beat')], {
    LOVAGE_CELERY_KEY_PREFIX: celeryCluster.keyPrefix,
    LOVAGE_CELERY_BEAT_PREFIX: celeryCluster.beatPrefix,
    LOVAGE_E2E_CELERY_QUEUE: queue,
  });
}

/** Runs the `lovage` CLI with `args` until it prints `readyLine`; killed at the latest when the test process exits. */
async function startLovage(what: string, readyLine: string, args: string[], env: Record<string, string>): Promise<Pick<WorkerProcess, 'stop' | 'kill'>> {
  const child = spawn(process.execPath, [lovageBin, ...args], {
    cwd: repoRoot,
    env: { ...process.env, NODE_OPTIONS: '--conditions=@lovage/source', LOVAGE_BROKER_URL: brokerUrl, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} not ready after 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes(readyLine)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${String(code)} before it was ready:\n${output}`));
    });
  });
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  running.add(kill);
  void exited.then(() => running.delete(kill));
  try {
    await ready;
  } catch (error) {
    kill();
    throw error;
  }
  return {
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill,
  };
}
