// Turns a broker URL into an ioredis client: redis:// and rediss:// (single
// server), redis+sentinel://host:port,host:port/<master>/<db> (Sentinel) and
// redis+cluster://host:port,host:port (Cluster).
import { Cluster, Redis } from 'ioredis';
import { ConfigError } from '../../errors.js';
import type { ConnectionWatch } from './connection-watch.js';

export type RedisClient = Redis | Cluster;

function hosts(list: string, url: string): { host: string; port: number }[] {
  return list.split(',').map((part) => {
    const [host, port] = part.split(':');
    if (!host) throw new ConfigError(`broker URL ${url} has an empty host`);
    return { host, port: port ? Number(port) : 26379 };
  });
}

function connect(url: string): RedisClient {
  const common = { maxRetriesPerRequest: null, enableAutoPipelining: true } as const;
  if (url.startsWith('redis://') || url.startsWith('rediss://')) return new Redis(url, common);
  const sentinel = /^redis\+sentinel:\/\/([^/]+)\/([^/]+)(?:\/(\d+))?$/.exec(url);
  if (sentinel) {
    return new Redis({ ...common, sentinels: hosts(sentinel[1]!, url), name: sentinel[2]!, db: Number(sentinel[3] ?? 0) });
  }
  const cluster = /^redis\+cluster:\/\/([^/]+)\/?$/.exec(url);
  if (cluster) return new Cluster(hosts(cluster[1]!, url), { redisOptions: common });
  throw new ConfigError(`unsupported Redis URL ${JSON.stringify(url)}`);
}

/**
 * A client for `url` whose connection errors go to `watch` (one warning per
 * outage in the app's log) instead of ioredis's "Unhandled error event" trace.
 */
export function createRedisClient(url: string, watch: ConnectionWatch): RedisClient {
  return watch.add(connect(url));
}

/** A second connection to the same server(s), for blocking calls and pub/sub, watched like the first. */
export function duplicateClient(client: RedisClient, watch: ConnectionWatch): RedisClient {
  // The two branches call different overloads, which TypeScript cannot merge into one call.
  return watch.add(client instanceof Cluster ? client.duplicate() : client.duplicate());
}
