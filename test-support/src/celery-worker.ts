// Starts and stops a real Python Celery worker on the fixture project
// (test-support/python/peer_project) for interoperability tests.
//
// Ready means answering a pidbox ping: the "<name> ready." log line comes
// before the worker's event loop has subscribed to the pidbox channel, so
// the harness waits for the line (which also names the node) and then for a
// ping reply. No fixed sleeps: a slow machine only makes the wait longer.
//
// Stopping sends SIGTERM to the worker's own pid (Celery's warm shutdown:
// finish the running task, restore unacked messages), then SIGKILL to the
// process group it leads (prefork children included) if it is still alive
// after the grace period. Workers still running when the test process exits
// are killed the same way, so a failed test leaves no worker behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { peerPython } from './env.js';
import {
  INSTALL_HINT,
  peerEnvironment,
  peerProjectDir,
  runPythonModule,
  type PeerConfig,
} from './python-peer.js';

export interface CeleryWorkerOptions {
  config: PeerConfig;
  /** The node name before '@'; the worker is started with `-n <name>@%h`. */
  name: string;
  pool?: 'solo' | 'prefork';
  concurrency?: number;
  /** Queues to consume (-Q); the config's queue by default. */
  queues?: string[];
  /** Send task events (-E). Worker events (online, heartbeat, offline) are sent either way. */
  events?: boolean;
  /** How long start may take before it gives up. Default 90 s (a cold start on a loaded machine takes seconds). */
  readyTimeoutMs?: number;
  /** Also wait for a pidbox ping reply (default true). Without it, start returns at the "ready." line. */
  waitForPing?: boolean;
  extraArgs?: string[];
}

export interface CeleryWorker {
  /** The full node name, e.g. `w1@myhost`, as the worker reports it. */
  hostname: string;
  pid: number;
  /** Everything the worker printed so far (the last 256 KB). */
  output(): string;
  /** Whether the process has exited. */
  readonly exited: boolean;
  /** SIGTERM, then SIGKILL to its process group after `graceMs` (default 20 s). Resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) killGroup(child);
  });
}

/** A worker process that ended (or was never ready): its output says why. */
export class CeleryWorkerError extends Error {
  readonly output: string;
  constructor(message: string, output: string) {
    const hint = /No module named '?(celery|kombu|redis)/.test(output) ? ` ${INSTALL_HINT}` : '';
    super(`${message}${hint}\n--- worker output ---\n${output.slice(-6000)}`);
    this.name = 'CeleryWorkerError';
    this.output = output;
  }
}

function waitForReadyLine(child: ChildProcess, output: () => string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new CeleryWorkerError(`no "ready." line within ${timeoutMs} ms`, output())),
      timeoutMs,
    );
    const check = (): void => {
      const match = /(\S+@\S+) ready\./.exec(output());
      if (match?.[1] !== undefined) finish(match[1]);
    };
    const onExit = (code: number | null, signal: string | null): void =>
      finish(
        new CeleryWorkerError(
          `the worker exited (code ${code}, signal ${signal}) before it was ready`,
          output(),
        ),
      );
    const onError = (err: Error): void =>
      finish(
        new CeleryWorkerError(
          `${peerPython} could not be started: ${err.message}. ${INSTALL_HINT}`,
          output(),
        ),
      );
    function finish(result: string | Error): void {
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.stderr?.off('data', check);
      child.off('exit', onExit);
      child.off('error', onError);
      if (typeof result === 'string') resolve(result);
      else reject(result);
    }
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.once('exit', onExit);
    child.once('error', onError);
    check();
  });
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => killGroup(child), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
    running.delete(child);
  }
}

/** Starts `celery -A peer_project worker` and resolves once it answers a ping. */
export async function startCeleryWorker(options: CeleryWorkerOptions): Promise<CeleryWorker> {
  const { config } = options;
  const args = [
    '-m',
    'celery',
    '-A',
    'peer_project',
    'worker',
    '-P',
    options.pool ?? 'solo',
    '-c',
    String(options.concurrency ?? 1),
    '-Q',
    (options.queues ?? [config.queue]).join(','),
    '-n',
    `${options.name}@%h`,
    '-l',
    'info',
    // Mingle waits a second for other nodes at start and gossip listens to all of them: neither helps a test.
    '--without-mingle',
    '--without-gossip',
    ...(options.events === true ? ['-E'] : []),
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(peerPython, args, {
    cwd: peerProjectDir,
    env: peerEnvironment(config),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  installExitHook();
  let output = '';
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-256 * 1024);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  child.once('exit', () => running.delete(child));
  const started = Date.now();
  const timeoutMs = options.readyTimeoutMs ?? 90_000;
  try {
    const hostname = await waitForReadyLine(child, () => output, timeoutMs);
    if (options.waitForPing !== false) {
      const left = Math.max(1000, timeoutMs - (Date.now() - started));
      await runPythonModule('peer_project.wait_for_ping', config, {
        args: [hostname, String(left / 1000)],
        timeoutMs: left + 30_000,
      });
    }
    return {
      hostname,
      pid: child.pid ?? -1,
      output: () => output,
      get exited() {
        return child.exitCode !== null || child.signalCode !== null;
      },
      stop: (graceMs = 20_000) => stopChild(child, graceMs),
    };
  } catch (err) {
    await stopChild(child, 5000);
    throw err instanceof CeleryWorkerError ? err : new CeleryWorkerError((err as Error).message, output);
  }
}
