import pg from 'pg';
import { expect } from 'vitest';
import { postgresTest } from './postgres.js';
import { testPostgresUrl } from './env.js';

const seen: string[] = [];

async function query<Row extends object>(url: string, sql: string, params: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Row>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function databaseExists(name: string): Promise<boolean> {
  const rows = await query(testPostgresUrl, 'SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return rows.length === 1;
}

postgresTest('a test gets its own migrated database', async ({ postgres }) => {
  expect(postgres.url).toContain(`/${postgres.name}`);
  const applied = await query<{ migration_name: string }>(
    postgres.url,
    'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL',
  );
  expect(applied.length).toBeGreaterThan(0);
  const tasks = await query<{ count: string }>(postgres.url, 'SELECT count(*) FROM tasks');
  expect(tasks[0]?.count).toBe('0');
  await query(postgres.url, `INSERT INTO tasks (id, name) VALUES ('t1', 'first')`);
  seen.push(postgres.name);
});

postgresTest('the next test gets a different, empty database and the previous one is gone', async ({ postgres }) => {
  const previous = seen[0];
  expect(previous).toBeDefined();
  expect(postgres.name).not.toBe(previous);
  expect(await databaseExists(previous!)).toBe(false);
  const tasks = await query<{ count: string }>(postgres.url, 'SELECT count(*) FROM tasks');
  expect(tasks[0]?.count).toBe('0');
});
