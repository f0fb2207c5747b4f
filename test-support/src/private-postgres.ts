// A PostgreSQL server of a run's own, on a free port with its data in a
// temporary directory, for the fault suite's "Postgres restart during ingest":
// the shared server on 5432 must never go down under other tests. Built with
// the server's own initdb and postgres binaries (not pg_ctlcluster, which
// registers a cluster machine-wide). PostgreSQL refuses to run as root, so when
// this process is root the directory and the server belong to the postgres user.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './private-redis.js';

const run = promisify(execFile);

export interface PrivatePostgres {
  port: number;
  /** postgresql://postgres@127.0.0.1:<port>/<database> */
  url: string;
  /** Fast shutdown (clients disconnected, nothing lost that was committed); resolves once the server has exited. */
  stop(): Promise<void>;
  /** Starts the server again on the same port and data; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it for good and removes its data. */
  destroy(): Promise<void>;
}

/** The newest server's binaries: /usr/lib/postgresql/<major>/bin. */
function binaries(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a)) : [];
  if (majors.length === 0) throw new Error(`private PostgreSQL: no server found under ${root} (apt-get install postgresql)`);
  return join(root, majors[0]!, 'bin');
}

/** The postgres user's ids when this process is root (the server will not run as root), else nothing to change. */
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  return { uid, gid };
}

async function accepts(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** initdb in a temporary directory, then the server on a free port; `database` is created empty. */
export async function startPrivatePostgres(database = 'lovage', startTimeoutMs = 60_000): Promise<PrivatePostgres> {
  const bin = binaries();
  const user = await serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'lovage-postgres-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const ids = user ? { uid: user.uid, gid: user.gid } : {};
  await run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8'], { ...ids, cwd: dir });
  const port = await freePort();
  const serverUrl = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async (): Promise<void> => {
    // fsync off: a test server's speed matters, and a clean stop still writes everything.
    const server = spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'], { ...ids, cwd: dir, stdio: 'ignore' });
    child = server;
    exited = new Promise((resolve) => server.once('exit', () => resolve()));
    const deadline = Date.now() + startTimeoutMs;
    while (!(await accepts(serverUrl))) {
      if (server.exitCode !== null) throw new Error(`private PostgreSQL on port ${port} exited (${server.exitCode}) while starting`);
      if (Date.now() > deadline) throw new Error(`private PostgreSQL on port ${port} did not accept connections within ${startTimeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const stop = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGINT'); // fast shutdown
    await exited;
  };
  // A run that ends without destroy() must not leave the server behind.
  const onExit = (): void => void child?.kill('SIGKILL');
  process.once('exit', onExit);
  await start();
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();
  return {
    port,
    url: `postgresql://postgres@127.0.0.1:${port}/${database}`,
    start,
    stop,
    async destroy() {
      await stop();
      process.off('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
