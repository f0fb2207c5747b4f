// Applies prisma/migrations without Prisma's native schema engine, recording
// each migration in `_prisma_migrations` exactly as `prisma migrate deploy`
// does, so either tool can take over a database the other started.
//
// Runs on PostgreSQL (pg) and on embedded PGlite through the same small
// `SqlSession` interface.
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** prisma/migrations at the repository root (the same depth from src/ and dist/). */
export const defaultMigrationsDir = fileURLToPath(new URL('../../../../prisma/migrations', import.meta.url));

/**
 * The key of the session-level advisory lock that serialises migration runs,
 * so two gateways starting together never apply the same migration twice.
 * Prisma's own CLI uses 72707369; we use our own so the two never wait on each other's
 * unrelated work.
 */
export const MIGRATION_LOCK_KEY = 0x4c6f7661; // "Lova"

export interface Migration {
  /** The directory name, e.g. `20261124134500_init`. */
  name: string;
  sql: string;
  /** sha256 hex of migration.sql, as Prisma computes it. */
  checksum: string;
}

export interface MigrationResult {
  /** Names of the migrations applied by this run, in order. */
  applied: string[];
  /** How many were already applied before this run. */
  alreadyApplied: number;
}

export class MigrationError extends Error {
  readonly code = 'MIGRATION_FAILED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

/** The minimum a migration run needs from a database connection. */
export interface SqlSession {
  query<Row extends object>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a script of one or more statements without parameters. */
  exec(sql: string): Promise<void>;
}

export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql, 'utf8').digest('hex');
}

/** Reads every `<dir>/<name>/migration.sql`, in name (timestamp) order. */
export async function readMigrations(dir: string = defaultMigrationsDir): Promise<Migration[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const migrations: Migration[] = [];
  for (const name of names) {
    const sql = await readFile(path.join(dir, name, 'migration.sql'), 'utf8');
    migrations.push({ name, sql, checksum: checksumOf(sql) });
  }
  return migrations;
}

/** A hash of every migration's name and checksum: changes whenever the schema history does. */
export function migrationsFingerprint(migrations: Migration[]): string {
  const hash = createHash('sha256');
  for (const migration of migrations) hash.update(`${migration.name}:${migration.checksum}\n`);
  return hash.digest('hex');
}

const createMigrationsTable = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
);`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Applies the pending migrations on an open session. Each migration and its
 * bookkeeping row commit together, so a failure leaves no half-applied step.
 * The caller holds the advisory lock (see `withMigrationLock`).
 */
export async function applyMigrations(session: SqlSession, migrations: Migration[]): Promise<MigrationResult> {
  await session.exec(createMigrationsTable);
  const rows = await session.query<AppliedRow>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at`,
  );
  const applied = new Map<string, AppliedRow>();
  for (const row of rows) {
    if (row.rolled_back_at !== null) continue;
    if (row.finished_at === null) {
      throw new MigrationError(
        `Migration ${row.migration_name} failed earlier and is marked unfinished in _prisma_migrations; ` +
          `fix the database by hand, then delete or mark that row rolled back.`,
      );
    }
    applied.set(row.migration_name, row);
  }

  for (const migration of migrations) {
    const row = applied.get(migration.name);
    if (row && row.checksum !== migration.checksum) {
      throw new MigrationError(
        `Migration ${migration.name} was modified after it was applied (checksum ${row.checksum.slice(0, 12)}… in the ` +
          `database, ${migration.checksum.slice(0, 12)}… on disk). Restore the file and add a new migration instead.`,
      );
    }
  }

  const result: MigrationResult = { applied: [], alreadyApplied: applied.size };
  for (const migration of migrations) {
    if (applied.has(migration.name)) continue;
    await session.exec('BEGIN');
    try {
      const id = randomUUID();
      await session.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
         VALUES ($1, $2, $3, now(), 0)`,
        [id, migration.checksum, migration.name],
      );
      await session.exec(migration.sql);
      await session.query(
        `UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1`,
        [id],
      );
      await session.exec('COMMIT');
    } catch (error) {
      await session.exec('ROLLBACK');
      const reason = error instanceof Error ? error.message : String(error);
      throw new MigrationError(`Migration ${migration.name} failed and was rolled back: ${reason}`, { cause: error });
    }
    result.applied.push(migration.name);
  }
  return result;
}

/** Holds the migration advisory lock (session level) while `fn` runs. */
export async function withMigrationLock<T>(session: SqlSession, fn: () => Promise<T>): Promise<T> {
  await session.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    return await fn();
  } finally {
    await session.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
  }
}

export function pgSession(client: pg.ClientBase): SqlSession {
  return {
    async query<Row extends object>(sql: string, params?: unknown[]) {
      const result = await client.query<Row>(sql, params);
      return result.rows;
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  };
}

export function pgliteSession(db: PGlite): SqlSession {
  return {
    async query<Row extends object>(sql: string, params?: unknown[]) {
      const result = await db.query<Row>(sql, params);
      return result.rows;
    },
    async exec(sql: string) {
      await db.exec(sql);
    },
  };
}

export interface MigrateOptions {
  migrationsDir?: string;
}

/** Brings the PostgreSQL database at `url` up to date. */
export async function migratePostgres(url: string, options: MigrateOptions = {}): Promise<MigrationResult> {
  const migrations = await readMigrations(options.migrationsDir);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const session = pgSession(client);
    return await withMigrationLock(session, () => applyMigrations(session, migrations));
  } finally {
    await client.end();
  }
}

/** Brings an open PGlite database up to date (PGlite has one connection, so no lock is needed). */
export async function migratePglite(db: PGlite, options: MigrateOptions = {}): Promise<MigrationResult> {
  const migrations = await readMigrations(options.migrationsDir);
  return applyMigrations(pgliteSession(db), migrations);
}
