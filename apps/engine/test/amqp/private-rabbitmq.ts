// A RabbitMQ node of a test's own, on free ports with its own data directory,
// for tests that stop and restart the broker: the shared node on 5672 must
// never go down under other test files. `rabbitmq-server` runs as the
// rabbitmq user, so the directory is handed to that user when we are root.
import { execFile, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import { freePort } from '@lovage/test-support/private-redis';

const run = promisify(execFile);

export interface PrivateRabbit {
  url: string;
  /** Stops the node cleanly (durable queues and persistent messages are kept) and resolves once it is down. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and data, and resolves once it accepts AMQP connections. */
  start(): Promise<void>;
  /** Stops it for good and removes its data. */
  destroy(): Promise<void>;
}

async function accepts(url: string): Promise<boolean> {
  try {
    const model = await connect(url);
    model.on('error', () => undefined);
    await model.close();
    return true;
  } catch {
    return false;
  }
}

/** Lookups of the rabbitmq user's ids, when this process may hand files to it. */
async function rabbitIds(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number((await run('id', ['-u', 'rabbitmq'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'rabbitmq'])).stdout.trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/**
 * `config` lines go into the node's rabbitmq.conf (e.g. `consumer_timeout = 5000`),
 * `advanced` into advanced.config as the rabbit application's Erlang terms
 * (e.g. `{channel_tick_interval, 500}`).
 */
export async function startPrivateRabbit(config: string[] = [], advanced: string[] = [], startTimeoutMs = 120_000): Promise<PrivateRabbit> {
  const port = await freePort();
  const distPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'lovage-rabbit-'));
  const node = `lovage${port}@localhost`;
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  writeFileSync(join(dir, 'rabbitmq.conf'), [`listeners.tcp.default = ${port}`, ...config, ''].join('\n'));
  writeFileSync(join(dir, 'advanced.config'), `[{rabbit, [${advanced.join(', ')}]}].\n`);
  const ids = await rabbitIds();
  if (ids) chownSync(dir, ids.uid, ids.gid);
  const env = {
    ...process.env,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_MNESIA_DIR: join(dir, 'mnesia', node),
    RABBITMQ_FEATURE_FLAGS_FILE: join(dir, 'feature_flags'),
    RABBITMQ_QUORUM_DIR: join(dir, 'quorum'),
    RABBITMQ_STREAM_DIR: join(dir, 'stream'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'pid'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
  };
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  let exited: Promise<void> = Promise.resolve();

  const start = async (): Promise<void> => {
    const child = spawn('rabbitmq-server', [], { env, stdio: 'ignore' });
    exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + startTimeoutMs;
    while (!(await accepts(url))) {
      if (Date.now() > deadline) throw new Error(`private RabbitMQ ${node} did not accept connections within ${startTimeoutMs} ms (logs in ${dir}/log)`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  const stop = async (): Promise<void> => {
    await run('rabbitmqctl', ['-n', node, 'stop'], { env }).catch(() => undefined);
    await exited;
  };
  await start();
  return {
    url,
    start,
    stop,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
