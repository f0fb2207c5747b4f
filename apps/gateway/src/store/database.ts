// Opens the monitor's database: PostgreSQL through @prisma/adapter-pg when a URL
// is given, else embedded PGlite under <dataDir>/pglite. Migrations run first.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { Logger } from 'pino';
import { PrismaClient } from '../generated/prisma/client.js';
import { migratePglite, migratePostgres, type MigrationResult } from './migrate.js';

export type DatabaseKind = 'postgres' | 'pglite';

export interface DatabaseOptions {
  /** A postgres:// URL; when absent, PGlite under `dataDir` is used. */
  databaseUrl?: string | undefined;
  /** Where PGlite keeps its files (`<dataDir>/pglite`). */
  dataDir?: string | undefined;
  migrationsDir?: string;
  logger?: Logger;
}

export interface Database {
  kind: DatabaseKind;
  prisma: PrismaClient;
  /** Where the data lives: the URL without its password, or the PGlite directory. */
  location: string;
  migrations: MigrationResult;
  /** Answers true when a trivial query succeeds. */
  check(): Promise<boolean>;
  close(): Promise<void>;
}

export class DatabaseError extends Error {
  readonly code = 'DATABASE_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseError';
  }
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable database url>';
  }
}

export async function openDatabase(options: DatabaseOptions = {}): Promise<Database> {
  const migrateOptions = options.migrationsDir ? { migrationsDir: options.migrationsDir } : {};
  if (options.databaseUrl) {
    const url = options.databaseUrl;
    const location = redactUrl(url);
    let migrations: MigrationResult;
    try {
      migrations = await migratePostgres(url, migrateOptions);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new DatabaseError(`Cannot prepare the PostgreSQL database at ${location}: ${reason}`, { cause: error });
    }
    options.logger?.info({ database: location, applied: migrations.applied }, 'database migrated');
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
    return {
      kind: 'postgres',
      prisma,
      location,
      migrations,
      check: () => checkPrisma(prisma),
      close: () => prisma.$disconnect(),
    };
  }

  const directory = path.resolve(options.dataDir ?? '.lovage', 'pglite');
  await mkdir(directory, { recursive: true });
  let pglite: PGlite;
  let migrations: MigrationResult;
  // Loaded only here: PGlite's module costs ~40 MB of RSS that a PostgreSQL gateway need not pay.
  const [{ PGlite: PGliteClass }, { PrismaPGlite }] = await Promise.all([import('@electric-sql/pglite'), import('pglite-prisma-adapter')]);
  try {
    pglite = await PGliteClass.create(directory);
    migrations = await migratePglite(pglite, migrateOptions);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatabaseError(`Cannot open the embedded PGlite database at ${directory}: ${reason}`, { cause: error });
  }
  options.logger?.info({ database: directory, applied: migrations.applied }, 'database migrated');
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    kind: 'pglite',
    prisma,
    location: directory,
    migrations,
    check: () => checkPrisma(prisma),
    async close() {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}

async function checkPrisma(prisma: PrismaClient): Promise<boolean> {
  try {
    await prisma.$queryRaw`SELECT 1`;
    return true;
  } catch {
    return false;
  }
}
