// Shared by the gateway benches: command-line options, a throwaway Postgres
// database per run, Redis clean-up, a gateway with a known admin, and the
// JSON-lines output.
//
// Output: the engine bench's line format ({"name","unit","lovage",...}). The
// gateway has no peer to run beside it, so `peer` is always null and the bar is
// the target instead: `target` is that number and `ratio` is how far
// the measurement clears it (> 1 better than the target, < 1 worse, whichever
// direction is better for the metric); both are null for numbers reported for
// information only.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Lovage } from '@lovage/engine';
import { createGateway, migratePostgres, type Gateway, type GatewayOptions } from '@lovage/gateway';
import { deleteKeys } from './redis-keys.js';

export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const BENCH_ADMIN = { email: 'bench@example.com', password: 'bench-password-1' };

export interface BenchArgs {
  argv: string[];
  json: boolean;
  has(flag: string): boolean;
  number(name: string, fallback: number): number;
}

export function benchArgs(argv = process.argv.slice(2)): BenchArgs {
  return {
    argv,
    json: argv.includes('--json'),
    has: (flag) => argv.includes(flag),
    number(name, fallback) {
      const index = argv.indexOf(name);
      if (index < 0) return fallback;
      const value = Number(argv[index + 1]);
      if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number, got ${argv[index + 1] ?? 'nothing'}`);
      return value;
    },
  };
}

export const runId = (): string => randomBytes(4).toString('hex');
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A logger for progress lines: stderr, and silent in --json mode. */
export const progress =
  (json: boolean) =>
  (message: string): void => {
    if (!json) process.stderr.write(`${message}\n`);
  };

export { percentile } from './percentile.js';

/** The URL of database `name` on the bench's Postgres server. */
export function databaseUrl(name: string, serverUrl = POSTGRES_URL): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface BenchDatabase {
  name: string;
  url: string;
  /** Drops the database (unless --keep was given). */
  drop(): Promise<void>;
}

/** A fresh, migrated database `lovage_bench_<label>_<run id>`, never the tests' databases. */
export async function createBenchDatabase(label: string, keep = false): Promise<BenchDatabase> {
  const name = `lovage_bench_${label}_${runId()}`;
  await withClient(POSTGRES_URL, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = databaseUrl(name);
  const drop = async (): Promise<void> => {
    if (!keep) await withClient(POSTGRES_URL, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  };
  try {
    await migratePostgres(url);
  } catch (error) {
    await drop();
    throw error;
  }
  return { name, url, drop };
}

export async function deleteRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    await deleteKeys(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

/** Closes what a bench started, in order, and deletes its Redis keys and its database. */
export async function tearDown(parts: { gateway?: Gateway | undefined; app?: Lovage; prefix?: string; database: BenchDatabase }): Promise<void> {
  await parts.gateway?.close();
  await parts.app?.close();
  if (parts.prefix) await deleteRedisPrefix(parts.prefix);
  await parts.database.drop();
}

/** A gateway on `databaseUrl`, on a free port, with BENCH_ADMIN as its admin and no retention. */
export function startBenchGateway(databaseUrl: string, options: Partial<GatewayOptions> = {}): Promise<Gateway> {
  return createGateway({
    databaseUrl,
    port: 0,
    host: '127.0.0.1',
    logLevel: 'warn',
    retention: false,
    security: { adminEmail: BENCH_ADMIN.email, adminPassword: BENCH_ADMIN.password, metricsToken: undefined },
    // Cheap password hashes: the bench measures the gateway, not scrypt.
    passwordCost: 1_024,
    ...options,
  });
}

/** Signs BENCH_ADMIN in and returns the session's Cookie header value. */
export async function sessionCookie(gatewayUrl: string): Promise<string> {
  const response = await fetch(`${gatewayUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(BENCH_ADMIN),
  });
  if (response.status !== 200) throw new Error(`login failed: ${response.status}`);
  return response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
}

export interface Measurement {
  name: string;
  unit: string;
  lovage: number;
  /** The bar; null for a number reported for information. */
  target: number | null;
  /** Whether a higher or a lower number is the better one. */
  better: 'higher' | 'lower';
}

export interface OutputLine {
  name: string;
  unit: string;
  lovage: number;
  peer: null;
  target: number | null;
  ratio: number | null;
}

function ratioOf(m: Measurement): number | null {
  if (m.target === null) return null;
  if (m.target === 0) return m.lovage === 0 ? 1 : 0;
  const ratio = m.better === 'higher' ? m.lovage / m.target : m.target / Math.max(m.lovage, 0.1);
  return Math.round(ratio * 100) / 100;
}

/** Prints one JSON line per measurement (--json), else an aligned table on stdout. */
export function printMeasurements(measurements: Measurement[], json: boolean): OutputLine[] {
  const lines = measurements.map((m): OutputLine => ({ name: m.name, unit: m.unit, lovage: Math.round(m.lovage * 10) / 10, peer: null, target: m.target, ratio: ratioOf(m) }));
  const width = Math.max(...lines.map((line) => line.name.length)) + 2;
  for (const line of lines) {
    if (json) process.stdout.write(`${JSON.stringify(line)}\n`);
    else {
      const bar = line.target === null ? '' : `target ${String(line.target).padStart(6)}  ratio ${line.ratio}`;
      process.stdout.write(`${line.name.padEnd(width)} ${String(line.lovage).padStart(9)} ${line.unit.padEnd(9)} ${bar}\n`);
    }
  }
  return lines;
}
