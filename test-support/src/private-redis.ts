// A Redis server of a test's own, on a free port, for tests that stop, restart
// or kill the server: the shared one on 6379 must never go down under other
// test files. Its data lives in a temporary directory with an append-only file,
// so a clean restart keeps everything the way a production Redis with AOF does.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface PrivateRedis {
  port: number;
  /** redis://127.0.0.1:<port>/0 */
  url: string;
  /** Shuts the server down cleanly (the AOF is flushed), and resolves once the port is closed. */
  stop(): Promise<void>;
  /** Starts the server again on the same port and data directory, and resolves once it answers PING. */
  start(): Promise<void>;
  /** Stops the server for good and removes its data directory. */
  destroy(): Promise<void>;
}

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function answersPing(port: number): Promise<boolean> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined); // refused while starting: the caller asks again
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`private Redis: ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Starts `redis-server` on a free port with AOF in a fresh temporary directory. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'lovage-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--daemonize', 'no'];
  let exited: Promise<void> = Promise.resolve();

  const start = async (): Promise<void> => {
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await waitFor(() => answersPing(port), 'not answering PING');
  };
  const stop = async (): Promise<void> => {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
    client.on('error', () => undefined); // the server closes the connection as it shuts down
    await client.connect().catch(() => undefined);
    await client.call('SHUTDOWN').catch(() => undefined);
    client.disconnect();
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    start,
    stop,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
