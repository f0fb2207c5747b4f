// A Redis master watched by one Sentinel, private to a test file: the shape a
// redis+sentinel:// URL points at. The master may require a password (the
// sentinel gets it as auth-pass); the sentinel itself requires none, as is usual.
// With `replica: true` a replica follows the master and the sentinel fails over
// to it a second after the master stops answering (quorum 1: one sentinel is
// enough to agree), so a failover test stays short.
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
  /** The master's process id (kill it to make the sentinel fail over). */
  masterPid: number;
  /** The replica's port, with `replica: true`. */
  replicaPort?: number;
  /** Kills every server and removes their directory. */
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

/** The sentinel's view of its master's replicas: one field map per replica. */
function replicasOf(reply: unknown): Map<string, string>[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((fields: unknown) => {
    const map = new Map<string, string>();
    const list = Array.isArray(fields) ? (fields as unknown[]) : [];
    for (let i = 0; i + 1 < list.length; i += 2) map.set(String(list[i]), String(list[i + 1]));
    return map;
  });
}

export interface RedisSentinelOptions {
  /** The master and the replica require it; the URL carries it. */
  password?: string;
  /** Also start a replica the sentinel can promote. */
  replica?: boolean;
}

/** Starts a master (with `password` if given), a replica if asked, and a sentinel monitoring them; resolves once the sentinel names the master (and sees the replica in sync). */
export async function startRedisSentinel(options: RedisSentinelOptions = {}): Promise<PrivateRedisSentinel> {
  const { password, replica = false } = options;
  const dir = mkdtempSync(join(tmpdir(), 'lovage-sentinel-'));
  const masterPort = await freePort();
  let sentinelPort = await freePort();
  while (sentinelPort === masterPort) sentinelPort = await freePort();
  let replicaPort: number | undefined;
  if (replica) {
    replicaPort = await freePort();
    while (replicaPort === masterPort || replicaPort === sentinelPort) replicaPort = await freePort();
  }
  const masterName = 'lovage-master';
  // Each server is a master that may become a replica (after a failover) and the other way round, so both get both passwords.
  const auth = password === undefined ? [] : ['--requirepass', password, '--masterauth', password];
  // A replica that never finished its first sync cannot be promoted; the default 5 s wait before a sync would leave that window open.
  const server = (port: number, extra: string[]): ChildProcess =>
    spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--dbfilename', `dump-${port}.rdb`, '--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0', ...auth, ...extra], { stdio: 'ignore' });
  const children: ChildProcess[] = [server(masterPort, [])];
  if (replicaPort !== undefined) children.push(server(replicaPort, ['--replicaof', '127.0.0.1', String(masterPort)]));
  // Sentinel rewrites its config file, so it gets one of its own in the directory.
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 1`,
      // A master silent for a second is down, and a failover that stalls is retried after 5 s.
      `sentinel down-after-milliseconds ${masterName} 1000`,
      `sentinel failover-timeout ${masterName} 5000`,
      ...(password === undefined ? [] : [`sentinel auth-pass ${masterName} ${password}`]),
      '',
    ].join('\n'),
  );
  children.push(spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' }));
  const stop = reapWithThisProcess(dir, children);
  // The sentinel learns of a replica from the master's INFO, which it asks for every 10 s.
  const deadline = Date.now() + (replica ? 60_000 : 30_000);
  const ready = async (): Promise<boolean> =>
    (await answers(masterPort, password, ['PING'], (r) => r === 'PONG')) &&
    (await answers(sentinelPort, undefined, ['SENTINEL', 'get-master-addr-by-name', masterName], (r) => Array.isArray(r) && Number(r[1]) === masterPort)) &&
    (replicaPort === undefined ||
      (await answers(sentinelPort, undefined, ['SENTINEL', 'replicas', masterName], (r) =>
        replicasOf(r).some((fields) => Number(fields.get('port')) === replicaPort && fields.get('master-link-status') === 'ok' && !(fields.get('flags') ?? '').includes('down')),
      )));
  while (!(await ready())) {
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`private Redis Sentinel: the sentinel did not name its master${replica ? ' and see its replica in sync' : ''} within ${replica ? 60_000 : 30_000} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const userinfo = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
  return {
    url: `redis+sentinel://${userinfo}127.0.0.1:${sentinelPort}/${masterName}/0`,
    masterName,
    masterPort,
    sentinelPort,
    masterPid: children[0]!.pid!,
    ...(replicaPort === undefined ? {} : { replicaPort }),
    stop,
  };
}
