// Starts a real `lovage worker` process on the demo's broker, for the tests that watch a worker
// come and go. It runs fixtures/worker-app.ts on a queue of its own.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { unique } from './api.js';
import { brokerUrl } from './stack.js';

const repoRoot = new URL('../../', import.meta.url).pathname;
const lovageBin = new URL('../../apps/engine/bin/lovage.mjs', import.meta.url).pathname;
const appModule = new URL('../fixtures/worker-app.ts', import.meta.url).pathname;

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
  const child = spawn(
    process.execPath,
    [lovageBin, 'worker', '--app', appModule, '-Q', queue, '-n', hostname, '-c', '2', '--grace', '2s'],
    {
      cwd: repoRoot,
      env: { ...process.env, NODE_OPTIONS: '--conditions=@lovage/source', LOVAGE_BROKER_URL: brokerUrl, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${hostname} not ready after 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('lovage worker ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker ${hostname} exited with ${String(code)} before it was ready:\n${output}`));
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
    hostname,
    queue,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill,
  };
}
