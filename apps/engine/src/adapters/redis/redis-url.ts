// Reads a Redis broker URL into the shape connection.ts builds a client from.
// Three shapes, each with optional credentials and TLS (the `rediss` schemes):
//   redis://[user:pass@]host:port/db                      one server (ioredis reads it itself)
//   redis+sentinel://[user:pass@]host:port,host:port/<master>[/<db>]
//   redis+cluster://[user:pass@]host:port,host:port[/]
// Credentials belong to the Redis servers (the Sentinel's master and replicas,
// every Cluster node); sentinels themselves are asked without them (a
// sentinel with a password of its own cannot be named in the URL yet). A
// missing port is Redis's default: 26379 for a sentinel, 6379 for a Cluster node.
import { ConfigError } from '../../errors.js';
import { redact } from '../adapter.js';

export interface HostPort {
  host: string;
  port: number;
}

export interface Credentials {
  username?: string;
  password?: string;
}

export type RedisUrl =
  | { kind: 'server'; url: string }
  | ({ kind: 'sentinel'; sentinels: HostPort[]; name: string; db: number; tls: boolean } & Credentials)
  | ({ kind: 'cluster'; nodes: HostPort[]; tls: boolean } & Credentials);

const SENTINEL_PORT = 26379;
const CLUSTER_PORT = 6379;

export function parseRedisUrl(url: string): RedisUrl {
  const shown = JSON.stringify(redact(url));
  const fail = (what: string): never => {
    throw new ConfigError(`Redis URL ${shown}: ${what}`);
  };
  if (/^rediss?:\/\//.test(url)) return { kind: 'server', url };
  const match = /^(rediss?)\+(sentinel|cluster):\/\/(?:([^@/]*)@)?([^/?#]*)(\/[^?#]*)?$/.exec(url);
  if (!match) {
    if (/^rediss?\+(sentinel|cluster):\/\//.test(url)) fail('query strings and fragments are not supported');
    return fail('unsupported scheme (use redis://, rediss://, redis+sentinel://, rediss+sentinel://, redis+cluster:// or rediss+cluster://)');
  }
  const [, scheme, shape, userinfo, hostList, path = ''] = match as unknown as [string, string, 'sentinel' | 'cluster', string | undefined, string, string | undefined];
  const tls = scheme === 'rediss';
  const credentials = parseCredentials(userinfo, fail);
  const hosts = parseHosts(hostList, shape === 'sentinel' ? SENTINEL_PORT : CLUSTER_PORT, fail);
  if (shape === 'cluster') {
    if (path !== '' && path !== '/') fail(`a Cluster URL takes no path (Cluster has only database 0), got ${JSON.stringify(path)}`);
    return { kind: 'cluster', nodes: hosts, tls, ...credentials };
  }
  const parts = path.split('/').slice(1);
  const name = parts[0] ? decode(parts[0], 'master name', fail) : fail('the master name is missing (…/<master>[/<db>])');
  if (parts.length > 2 && !(parts.length === 3 && parts[2] === '')) fail(`too many path segments in ${JSON.stringify(path)} (…/<master>[/<db>])`);
  const dbText = parts[1] ?? '';
  if (dbText !== '' && !/^\d+$/.test(dbText)) fail(`the database must be a number, got ${JSON.stringify(dbText)}`);
  return { kind: 'sentinel', sentinels: hosts, name, db: Number(dbText || 0), tls, ...credentials };
}

function decode(text: string, what: string, fail: (what: string) => never): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return fail(`the ${what} is not valid percent-encoding`);
  }
}

function parseCredentials(userinfo: string | undefined, fail: (what: string) => never): Credentials {
  if (userinfo === undefined) return {};
  const colon = userinfo.indexOf(':');
  if (colon < 0) return fail('credentials must be user:password or :password (percent-encode a ":" or "@" inside them)');
  const username = decode(userinfo.slice(0, colon), 'user name', fail);
  const password = decode(userinfo.slice(colon + 1), 'password', fail);
  if (password === '') fail('the password is empty');
  return username === '' ? { password } : { username, password };
}

function parseHosts(list: string, defaultPort: number, fail: (what: string) => never): HostPort[] {
  if (list === '') fail('no host given');
  return list.split(',').map((part) => {
    // An IPv6 address is written in brackets: [::1]:7000.
    const m = /^(\[[^\]]+\]|[^:[\]]*)(?::(.*))?$/.exec(part) ?? fail(`malformed host ${JSON.stringify(part)}`);
    const host = m[1]!.replace(/^\[(.*)\]$/, '$1');
    if (host === '') fail(`empty host in ${JSON.stringify(list)}`);
    const portText = m[2];
    if (portText === undefined) return { host, port: defaultPort };
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) fail(`the port of ${JSON.stringify(part)} must be a number from 1 to 65535`);
    return { host, port };
  });
}
