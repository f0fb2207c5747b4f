// The migration runner on real PostgreSQL (a fresh database per test) and real PGlite.
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { testPostgresUrl } from '@lovage/test-support';
import { createTestDatabase, databaseUrl, dropTestDatabase } from '@lovage/test-support/postgres';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { PrismaClient } from '../src/generated/prisma/client.js';
import {
  defaultMigrationsDir,
  migratePglite,
  migratePostgres,
  readMigrations,
} from '../src/store/migrate.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A fresh, empty (unmigrated) Postgres database. */
async function emptyPostgres(): Promise<string> {
  const admin = new pg.Client({ connectionString: testPostgresUrl });
  await admin.connect();
  const name = `lovage_mig_${Math.random().toString(16).slice(2, 10)}`;
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  cleanups.push(() => dropTestDatabase(name));
  return databaseUrl(name);
}

/** Reads one row from every model: Prisma selects every column it knows, so a missing one fails. */
async function touchEveryModel(prisma: PrismaClient): Promise<void> {
  await prisma.task.create({ data: { id: 't-1', name: 'emails.send', args: ['ada@example.com'], errorMessage: 'SMTP timeout' } });
  await prisma.taskAttempt.create({ data: { taskId: 't-1', attempt: 1, startedAt: new Date() } });
  await expect(prisma.taskAttempt.create({ data: { taskId: 't-1', attempt: 1, startedAt: new Date() } })).rejects.toThrow();
  await prisma.worker.create({ data: { hostname: 'w1@host', queues: ['default'], loadavg: [0.1, 0.2, 0.3] } });
  await prisma.workerHeartbeat.create({ data: { hostname: 'w1@host', at: new Date(), loadavg: [1, 1, 1] } });
  await prisma.scheduleRun.create({ data: { scheduleName: 'daily-report', taskId: 't-1', dueAt: new Date() } });
  await prisma.scheduleChange.create({ data: { scheduleName: 'daily-report', action: 'update', actor: 'admin', after: { cron: '0 7 * * *' } } });
  const user = await prisma.user.create({ data: { email: 'a@example.com', passwordHash: 'x', role: 'admin' } });
  await prisma.apiToken.create({ data: { name: 'ci', tokenHash: 'h', userId: user.id } });
  await prisma.session.create({ data: { id: 's1', tokenHash: 'sh', userId: user.id, expiresAt: new Date(Date.now() + 60_000) } });
  await prisma.auditLog.create({ data: { actor: 'admin', action: 'task.revoke', target: 't-1', outcome: 'ok' } });
  await prisma.metricBucket.create({ data: { minute: new Date(0), taskName: 'emails.send', queue: 'default', succeeded: 1, runtimeHistogram: [1, 0] } });
  await prisma.ingestCursor.create({ data: { stream: 'lovage:events', lastEventId: '0-1' } });
  // The generated search column indexes args and errors.
  const found = await prisma.$queryRaw<{ id: string }[]>`
    SELECT id FROM tasks WHERE search_vector @@ plainto_tsquery('simple', 'smtp')`;
  expect(found.map((row) => row.id)).toEqual(['t-1']);
}

describe('migrations on PostgreSQL', () => {
  it('bring an empty database to the schema the client expects, and a second run is a no-op', async () => {
    const url = await emptyPostgres();
    const migrations = await readMigrations();
    const first = await migratePostgres(url);
    expect(first.applied).toEqual(migrations.map((m) => m.name));
    const second = await migratePostgres(url);
    expect(second).toEqual({ applied: [], alreadyApplied: migrations.length });

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const rows = await client.query<{ checksum: string; finished_at: Date | null; applied_steps_count: number }>(
      'SELECT checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name',
    );
    expect(rows.rows.map((row) => row.checksum)).toEqual(migrations.map((m) => m.checksum));
    expect(rows.rows.every((row) => row.finished_at !== null && row.applied_steps_count === 1)).toBe(true);
    // The hand-written migration's extended statistics (correlated task-list filters) exist too.
    const statistics = await client.query<{ stxname: string }>("SELECT stxname FROM pg_statistic_ext WHERE stxrelid = 'tasks'::regclass");
    expect(statistics.rows.map((row) => row.stxname)).toEqual(['tasks_name_queue_state_stats']);
    await client.end();

    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
    cleanups.push(() => prisma.$disconnect());
    await touchEveryModel(prisma);
  });

  it('two runners starting together apply each migration once', async () => {
    const url = await emptyPostgres();
    const results = await Promise.all([migratePostgres(url), migratePostgres(url), migratePostgres(url)]);
    const appliedCount = results.reduce((sum, result) => sum + result.applied.length, 0);
    expect(appliedCount).toBe((await readMigrations()).length);
  });

  it('refuses to run when an applied migration was edited afterwards', async () => {
    const { name, url } = await createTestDatabase('mig');
    cleanups.push(() => dropTestDatabase(name));
    const dir = await mkdtemp(path.join(tmpdir(), 'lovage-migrations-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await cp(defaultMigrationsDir, dir, { recursive: true });
    const [first] = await readMigrations(dir);
    await writeFile(path.join(dir, first!.name, 'migration.sql'), `${first!.sql}\n-- edited\n`);
    await expect(migratePostgres(url, { migrationsDir: dir })).rejects.toThrow(
      new RegExp(`Migration ${first!.name} was modified after it was applied`),
    );
  });

  it('rolls back a failing migration and records nothing for it', async () => {
    const { name, url } = await createTestDatabase('mig');
    cleanups.push(() => dropTestDatabase(name));
    const dir = await mkdtemp(path.join(tmpdir(), 'lovage-migrations-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await cp(defaultMigrationsDir, dir, { recursive: true });
    await cp(path.join(dir, (await readMigrations(dir))[0]!.name), path.join(dir, '99990101000000_broken'), { recursive: true });
    await writeFile(path.join(dir, '99990101000000_broken', 'migration.sql'), 'CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;\n');
    await expect(migratePostgres(url, { migrationsDir: dir })).rejects.toThrow(/99990101000000_broken failed and was rolled back/);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const table = await client.query(`SELECT to_regclass('half_done') AS t`);
    const recorded = await client.query(`SELECT 1 FROM _prisma_migrations WHERE migration_name = '99990101000000_broken'`);
    await client.end();
    expect(table.rows[0]).toEqual({ t: null });
    expect(recorded.rowCount).toBe(0);
  });
});

describe('migrations on PGlite', () => {
  it('bring an empty database to the schema the client expects, and a second run is a no-op', async () => {
    const db = new PGlite();
    cleanups.push(() => db.close());
    const migrations = await readMigrations();
    expect((await migratePglite(db)).applied).toEqual(migrations.map((m) => m.name));
    expect(await migratePglite(db)).toEqual({ applied: [], alreadyApplied: migrations.length });
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) });
    await touchEveryModel(prisma);
  });

  it('refuses to run when an applied migration was edited afterwards', async () => {
    const db = new PGlite();
    cleanups.push(() => db.close());
    await migratePglite(db);
    const dir = await mkdtemp(path.join(tmpdir(), 'lovage-migrations-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await cp(defaultMigrationsDir, dir, { recursive: true });
    const [first] = await readMigrations(dir);
    await writeFile(path.join(dir, first!.name, 'migration.sql'), first!.sql.replace('CREATE', 'create'));
    await expect(migratePglite(db, { migrationsDir: dir })).rejects.toThrow(/was modified after it was applied/);
  });
});
