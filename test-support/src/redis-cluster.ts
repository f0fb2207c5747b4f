// A real Redis Cluster of a test file's own: three masters and three replicas
// (six `redis-server --cluster-enabled yes` on free ports, joined by
// `redis-cli --cluster create`). The shared Redis on 6379 is a single server,
// so every Cluster-only failure (CROSSSLOT, a pipeline across slots, MOVED
// after a failover) can only be seen here.
//
// Clean-up does not rely on the test process: see server-reaper.ts.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { freePort } from './private-redis.js';
import { reapWithThisProcess } from './server-reaper.js';

export interface RedisClusterNode {
  port: number;
  pid: number;
}

export interface PrivateRedisCluster {
  /** redis+cluster://127.0.0.1:<port>,… naming every node (the adapters' URL form). */
  url: string;
  /** Every node, masters and replicas, in start order. */
  nodes: RedisClusterNode[];
  /** The temporary directory holding the nodes' cluster config files. */
  dir: string;
  /** A client for assertions; the caller disconnects it. */
  client(): Cluster;
  /** Kills every node and removes the directory; resolves once the reaper has done so. */
  stop(): Promise<void>;
}

const run = promisify(execFile);

function nodeClient(port: number, password: string | undefined): Redis {
  const client = new Redis({ port, host: '127.0.0.1', password, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined); // refused while starting: the caller asks again
  return client;
}

async function ask(port: number, password: string | undefined, ...command: string[]): Promise<string | undefined> {
  const client = nodeClient(port, password);
  try {
    await client.connect();
    return String(await client.call(command[0]!, ...command.slice(1)));
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`private Redis Cluster: ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** How many nodes a CLUSTER NODES reply lists as replicas. */
function replicaCount(nodes: string | undefined): number {
  return (nodes ?? '').split('\n').filter((line) => line.split(' ')[2]?.split(',').includes('slave')).length;
}

/** Distinct free ports (each node needs a client port and a cluster-bus port). */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

export interface RedisClusterOptions {
  /** Every node requires it (requirepass; replicas use it as masterauth), and the URL carries it. */
  password?: string;
}

/** Starts six nodes, creates the cluster (one replica per master) and waits until every node reports cluster_state:ok. */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<PrivateRedisCluster> {
  const { password } = options;
  const auth = password === undefined ? [] : ['--requirepass', password, '--masterauth', password];
  const dir = mkdtempSync(join(tmpdir(), 'lovage-cluster-'));
  const ports = await freePorts(12);
  const clientPorts = ports.slice(0, 6);
  const children: ChildProcess[] = [];
  for (const [i, port] of clientPorts.entries()) {
    const args = [
      '--port', String(port),
      '--cluster-port', String(ports[6 + i]),
      '--bind', '127.0.0.1',
      '--cluster-enabled', 'yes',
      '--cluster-config-file', join(dir, `nodes-${port}.conf`),
      // A dead master is noticed within a few seconds, so failover tests stay short.
      '--cluster-node-timeout', '2000',
      // A replica that never finished its first sync refuses to take over; the default 5 s wait before a sync would leave that window open.
      '--repl-diskless-sync-delay', '0',
      '--dir', dir,
      '--save', '',
      '--appendonly', 'no',
      '--daemonize', 'no',
      ...auth,
    ];
    children.push(spawn('redis-server', args, { stdio: 'ignore' }));
  }
  const stop = reapWithThisProcess(dir, children);
  try {
    await waitFor(async () => (await Promise.all(clientPorts.map((p) => ask(p, password, 'PING')))).every((r) => r === 'PONG'), 'nodes not answering PING');
    await run('redis-cli', [...(password === undefined ? [] : ['-a', password, '--no-auth-warning']), '--cluster', 'create', ...clientPorts.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes']);
    await waitFor(
      async () => (await Promise.all(clientPorts.map((p) => ask(p, password, 'CLUSTER', 'INFO')))).every((info) => info?.includes('cluster_state:ok')),
      'cluster_state not ok on every node',
    );
    // Replicas attach by gossip after the create: wait until every node sees all three, so a failover test has one to promote.
    await waitFor(
      async () => (await Promise.all(clientPorts.map((p) => ask(p, password, 'CLUSTER', 'NODES')))).every((nodes) => replicaCount(nodes) === 3),
      'replicas not attached on every node',
    );
    // And each replica has its master's data (its link is up), so it is fit to be promoted.
    await waitFor(async () => {
      const infos = await Promise.all(clientPorts.map((p) => ask(p, password, 'INFO', 'replication')));
      return infos.filter((info) => info?.includes('role:slave') && info.includes('master_link_status:up')).length === 3;
    }, 'replicas not in sync');
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: `redis+cluster://${password === undefined ? '' : `:${encodeURIComponent(password)}@`}${clientPorts.map((p) => `127.0.0.1:${p}`).join(',')}`,
    nodes: clientPorts.map((port, i) => ({ port, pid: children[i]!.pid! })),
    dir,
    client: () => new Cluster(clientPorts.map((port) => ({ host: '127.0.0.1', port })), { redisOptions: { password } }),
    stop,
  };
}

/** The port of the master serving `key`'s slot, as the node on `askPort` sees it now (undefined when that node does not answer). */
export async function clusterMasterOf(key: string, askPort: number, password?: string): Promise<number | undefined> {
  const node = nodeClient(askPort, password);
  try {
    await node.connect();
    const slot = Number(await node.cluster('KEYSLOT', key));
    const ranges = (await node.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
    return ranges.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
  } catch {
    return undefined;
  } finally {
    node.disconnect();
  }
}

/** Deletes every key starting with `prefix` on every master of a cluster (SCAN per node, one UNLINK per key: keys differ in slot). */
export async function deleteClusterKeysWithPrefix(cluster: Cluster, prefix: string): Promise<number> {
  let deleted = 0;
  for (const node of cluster.nodes('master')) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      const counts = await Promise.all(keys.map((key) => node.unlink(key)));
      deleted += counts.reduce((a, b) => a + b, 0);
    } while (cursor !== '0');
  }
  return deleted;
}
