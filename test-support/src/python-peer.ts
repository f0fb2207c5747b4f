// Runs Python against the fixture Celery project in test-support/python, with
// a configuration that isolates one test (file) from every other: its own
// kombu global_keyprefix (all queues, bindings, unacked, events and pidbox
// channels live under it) and its own queue name. Result keys cannot be
// prefixed in Celery 5.2.6; they are unique per task, and cleanupPeer removes
// the ones a test names.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { inheritedEnvironment, peerPython, testRedisUrl } from './env.js';
import { deleteKeysWithPrefix, uniquePrefix } from './redis-keys.js';

/** The folder holding the `peer_project` package (tasks peer.noop, peer.add, peer.fail, peer.retry, peer.sleep, peer.describe). */
export const peerProjectDir = fileURLToPath(new URL('../python', import.meta.url));

export interface PeerConfig {
  /** Broker URL; the shared test Redis by default. */
  brokerUrl: string;
  /** Result backend URL; the broker by default. */
  resultBackend: string;
  /** kombu's global_keyprefix for this test. */
  keyPrefix: string;
  /** The default queue of the fixture app (task_default_queue). */
  queue: string;
  /** Store name/args/kwargs/worker with results (result_extended). */
  resultExtended: boolean;
  /** kombu's visibility_timeout in seconds; kombu's 3600 when unset. */
  visibilityTimeoutSeconds?: number | undefined;
  /** worker_prefetch_multiplier; 1 when unset (a stopped test worker leaves the rest of its queue). */
  prefetchMultiplier?: number | undefined;
  /** Silence a worker's per-task log lines (received, succeeded); "ready." still shows. */
  quietTasks?: boolean | undefined;
}

/** A fresh configuration: a unique key prefix and queue on the test Redis. */
export function peerConfig(label = 'peer', overrides: Partial<PeerConfig> = {}): PeerConfig {
  const brokerUrl = overrides.brokerUrl ?? testRedisUrl;
  return {
    brokerUrl,
    resultBackend: brokerUrl,
    keyPrefix: uniquePrefix(`celery-${label}`),
    queue: `${label}-${randomBytes(4).toString('hex')}`,
    resultExtended: false,
    ...overrides,
  };
}

/** The environment a Python process needs to load the fixture project with `config`. */
export function peerEnvironment(config: PeerConfig): Record<string, string | undefined> {
  return {
    ...inheritedEnvironment(),
    PYTHONPATH: peerProjectDir,
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
    LOVAGE_PEER_BROKER_URL: config.brokerUrl,
    LOVAGE_PEER_RESULT_BACKEND: config.resultBackend,
    LOVAGE_PEER_KEY_PREFIX: config.keyPrefix,
    LOVAGE_PEER_QUEUE: config.queue,
    LOVAGE_PEER_RESULT_EXTENDED: config.resultExtended ? '1' : '0',
    LOVAGE_PEER_VISIBILITY_TIMEOUT: config.visibilityTimeoutSeconds === undefined ? undefined : String(config.visibilityTimeoutSeconds),
    LOVAGE_PEER_PREFETCH: config.prefetchMultiplier === undefined ? undefined : String(config.prefetchMultiplier),
    LOVAGE_PEER_QUIET_TASKS: config.quietTasks === true ? '1' : undefined,
  };
}

/** What to do when the peer's Python or its packages are missing. */
export const INSTALL_HINT = `The Python peer needs Debian's Celery under ${peerPython}: run scripts/install-peers.sh.`;

/** A Python process exited with an error or ran out of time; carries what it printed. */
export class PythonProcessError extends Error {
  readonly stdout: string;
  readonly stderr: string;
  constructor(what: string, stdout: string, stderr: string) {
    const hint = /No module named '?(celery|kombu|redis)|ENOENT/.test(`${what}${stderr}`)
      ? ` ${INSTALL_HINT}`
      : '';
    super(`${what}${hint}\n--- stderr ---\n${stderr.slice(-4000)}\n--- stdout ---\n${stdout.slice(-2000)}`);
    this.name = 'PythonProcessError';
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

export interface RunPythonOptions {
  /** Extra arguments (sys.argv[1:]). */
  args?: string[];
  /** Killed (SIGKILL) after this long. Default 60 s: a cold Python with Celery takes seconds on a busy machine. */
  timeoutMs?: number;
  /** Working directory (also first on sys.path for `-c`); the peer project's folder by default. */
  cwd?: string;
  /** Variables added to (or, when undefined, removed from) the peer's environment. */
  env?: Record<string, string | undefined>;
}

function execPython(
  pythonArgs: string[],
  config: PeerConfig,
  options: RunPythonOptions,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      peerPython,
      [...pythonArgs, ...(options.args ?? [])],
      {
        cwd: options.cwd ?? peerProjectDir,
        env: { ...peerEnvironment(config), ...options.env },
        timeout: options.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error === null) resolve({ stdout, stderr });
        else
          reject(
            new PythonProcessError(
              `${peerPython} ${pythonArgs.join(' ').slice(0, 200)} failed: ${error.message.split('\n')[0] ?? ''}`,
              stdout,
              stderr,
            ),
          );
      },
    );
  });
}

/** Runs a Python snippet (`python -c code`) with the fixture project importable as `peer_project`. */
export function runPython(
  code: string,
  config: PeerConfig,
  options: RunPythonOptions = {},
): Promise<{ stdout: string; stderr: string }> {
  return execPython(['-c', code], config, options);
}

/** Runs a module of the fixture project (`python -m module`). */
export function runPythonModule(
  module: string,
  config: PeerConfig,
  options: RunPythonOptions = {},
): Promise<{ stdout: string; stderr: string }> {
  return execPython(['-m', module], config, options);
}

/** Runs a script file (`python file args…`), relative to `options.cwd`. */
export function runPythonScript(
  file: string,
  config: PeerConfig,
  options: RunPythonOptions = {},
): Promise<{ stdout: string; stderr: string }> {
  return execPython([file], config, options);
}

/** Runs a snippet and parses the last line it printed as JSON (print(json.dumps(...)) at the end). */
export async function runPythonJson<T>(
  code: string,
  config: PeerConfig,
  options: RunPythonOptions = {},
): Promise<T> {
  const { stdout, stderr } = await runPython(code, config, options);
  const last = stdout.trimEnd().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new PythonProcessError('the snippet did not end by printing JSON', stdout, stderr);
  }
}

/**
 * Deletes every broker key under the config's prefix, and `otherKeys` (the
 * result keys a test made: Celery 5.2.6 cannot prefix those).
 */
export async function cleanupPeer(
  client: Redis,
  config: PeerConfig,
  otherKeys: Iterable<string> = [],
): Promise<void> {
  await deleteKeysWithPrefix(client, config.keyPrefix);
  const keys = [...otherKeys];
  if (keys.length > 0) await client.del(...keys);
}
