// A Redis master watched by one Sentinel, private to a test file: the shape a
// redis+sentinel:// URL points at. The master may require a password (the
// sentinel gets it as auth-pass); the sentinel itself requires none, as is usual.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './private-redis.js';
import { reapWithThisProcess } from './server-reaper.js';

export interface PrivateRedisSentinel {
  /** redis+sentinel://[:password@]127.0.0.1:<sentinel port>/<master name>/0 */
  url: string;
  masterName: string;
  masterPort: number;
  sentinelPort: number;
  /** Kills both servers and removes their directory. */
  stop(): Promise<void>;
}

async function answers(port: number, password: string | undefined, command: string[], expected: (reply: unknown) => boolean): Promise<boolean> {
  const client = new Redis({ port, host: '127.0.0.1', password, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined); // refused while starting: the caller asks again
  try {
    await client.connect();
    return expected(await client.call(command[0]!, ...command.slice(1)));
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Starts a master (with `password` if given) and a sentinel monitoring it; resolves once the sentinel names the master. */
export async function startRedisSentinel(options: { password?: string } = {}): Promise<PrivateRedisSentinel> {
  const { password } = options;
  const dir = mkdtempSync(join(tmpdir(), 'lovage-sentinel-'));
  const masterPort = await freePort();
  let sentinelPort = await freePort();
  while (sentinelPort === masterPort) sentinelPort = await freePort();
  const masterName = 'lovage-master';
  const children: ChildProcess[] = [
    spawn('redis-server', ['--port', String(masterPort), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...(password === undefined ? [] : ['--requirepass', password])], { stdio: 'ignore' }),
  ];
  // Sentinel rewrites its config file, so it gets one of its own in the directory.
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 1`,
      ...(password === undefined ? [] : [`sentinel auth-pass ${masterName} ${password}`]),
      '',
    ].join('\n'),
  );
  children.push(spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' }));
  const stop = reapWithThisProcess(dir, children);
  const deadline = Date.now() + 30_000;
  const ready = async (): Promise<boolean> =>
    (await answers(masterPort, password, ['PING'], (r) => r === 'PONG')) &&
    (await answers(sentinelPort, undefined, ['SENTINEL', 'get-master-addr-by-name', masterName], (r) => Array.isArray(r) && Number(r[1]) === masterPort));
  while (!(await ready())) {
    if (Date.now() > deadline) {
      await stop();
      throw new Error('private Redis Sentinel: the sentinel did not name its master within 30000 ms');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const auth = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
  return { url: `redis+sentinel://${auth}127.0.0.1:${sentinelPort}/${masterName}/0`, masterName, masterPort, sentinelPort, stop };
}
