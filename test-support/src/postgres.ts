// A Vitest fixture that hands each test its own PostgreSQL database, cloned from
// a template that is migrated once per schema version. CREATE DATABASE ...
// TEMPLATE copies files, so a fresh migrated database costs milliseconds.
//
// The template's name carries a hash of the migrations, so editing the schema
// builds a new template instead of reusing a stale one. Parallel Vitest workers
// race to build it; an advisory lock on the maintenance database makes one of
// them build while the others wait and then reuse it.
import { randomBytes } from 'node:crypto';
import { migratePostgres, migrationsFingerprint, readMigrations } from '@lovage/gateway';
import pg from 'pg';
import { test as base } from 'vitest';
import { testPostgresUrl } from './env.js';

export interface PostgresFixture {
  /** Connection URL of this test's database. */
  url: string;
  /** Name of this test's database. */
  name: string;
}

const TEMPLATE_LOCK_KEY = 0x4c765470; // "LvTp"

/** The URL of database `name` on the test server. */
export function databaseUrl(name: string, serverUrl: string = testPostgresUrl): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testPostgresUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

let templateName: Promise<string> | undefined;

/** Creates (once per server and schema version) the migrated template database, and returns its name. */
export function ensureTemplate(): Promise<string> {
  templateName ??= (async () => {
    const fingerprint = migrationsFingerprint(await readMigrations());
    const name = `lovage_tpl_${fingerprint.slice(0, 16)}`;
    await withAdmin(async (admin) => {
      await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
      try {
        const found = await admin.query('SELECT datistemplate FROM pg_database WHERE datname = $1', [name]);
        if (found.rowCount === 1 && (found.rows[0] as { datistemplate: boolean }).datistemplate) return;
        // A template left half-built by a crashed run is rebuilt from scratch.
        if (found.rowCount === 1) await admin.query(`DROP DATABASE "${name}"`);
        await admin.query(`CREATE DATABASE "${name}"`);
        await migratePostgres(databaseUrl(name));
        // Marked a template only once fully migrated: the marker means "ready".
        await admin.query(`ALTER DATABASE "${name}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
      } finally {
        await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]);
      }
    });
    return name;
  })();
  templateName.catch(() => {
    templateName = undefined;
  });
  return templateName;
}

/** Creates a fresh, migrated database for one test. */
export async function createTestDatabase(label = 'test'): Promise<PostgresFixture> {
  const template = await ensureTemplate();
  const name = `lovage_${label}_${randomBytes(5).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return { name, url: databaseUrl(name) };
}

export async function dropTestDatabase(name: string): Promise<void> {
  await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

export const postgresTest = base.extend<{ postgres: PostgresFixture }>({
  // eslint-disable-next-line no-empty-pattern
  postgres: async ({}, use) => {
    const database = await createTestDatabase();
    try {
      await use(database);
    } finally {
      await dropTestDatabase(database.name);
    }
  },
});
