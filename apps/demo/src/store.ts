// The demo's business database (users and orders, plus the Lovage outbox):
// PostgreSQL when DATABASE_URL is set, otherwise an embedded PGlite database
// of its own under <dataDir>/demo-pglite (the monitor keeps its own under
// <dataDir>/pglite). The client is wrapped by withAfterCommit so sign-ups can
// use onCommit().
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { withAfterCommit } from '@lovage/engine/prisma';
import type { PrismaClient } from './generated/prisma/client.js';

export type DemoPrisma = PrismaClient;

export interface DemoStore {
  prisma: DemoPrisma;
  /** 'PostgreSQL' or 'PGlite', for messages. */
  kind: 'PostgreSQL' | 'PGlite';
  close(): Promise<void>;
}

/**
 * The tables of prisma/schema.prisma. Created at open with IF NOT EXISTS: the
 * demo's data is disposable, so it needs no migration history of its own.
 */
/** The Lovage outbox's table here (prisma/schema.prisma maps LovageOutbox to it); the relay is told its name. */
export const OUTBOX_TABLE = 'demo_lovage_outbox';

const schemaSql = [
  `CREATE TABLE IF NOT EXISTS demo_users (
     id SERIAL PRIMARY KEY,
     email TEXT NOT NULL UNIQUE,
     name TEXT NOT NULL,
     created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
     welcome_sent_at TIMESTAMP(3))`,
  `CREATE TABLE IF NOT EXISTS demo_orders (
     id SERIAL PRIMARY KEY,
     user_id INTEGER NOT NULL REFERENCES demo_users(id),
     amount_cents INTEGER NOT NULL,
     status TEXT NOT NULL DEFAULT 'pending',
     created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
     paid_at TIMESTAMP(3))`,
  `CREATE INDEX IF NOT EXISTS demo_orders_status_idx ON demo_orders (status)`,
  `CREATE TABLE IF NOT EXISTS ${OUTBOX_TABLE} (
     id TEXT PRIMARY KEY,
     queue TEXT NOT NULL,
     body TEXT NOT NULL,
     created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP)`,
  `CREATE INDEX IF NOT EXISTS ${OUTBOX_TABLE}_created_at_idx ON ${OUTBOX_TABLE} (created_at)`,
];

/** Thrown when the demo's database cannot be opened; main.ts prints it as one line. */
export class DemoStoreError extends Error {
  override name = 'DemoStoreError';
}

export async function openDemoStore(options: { databaseUrl: string | undefined; dataDir: string }): Promise<DemoStore> {
  // Imported here, not at the top, so that modules importing the tasks (a threads
  // pool's threads, `lovage inspect`) do not load Prisma unless a task needs it.
  const { PrismaClient } = await import('./generated/prisma/client.js');
  let prisma: PrismaClient;
  let closeDriver = async (): Promise<void> => {};
  let kind: DemoStore['kind'];
  if (options.databaseUrl) {
    const { PrismaPg } = await import('@prisma/adapter-pg');
    prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: options.databaseUrl }) });
    kind = 'PostgreSQL';
  } else {
    const { PGlite } = await import('@electric-sql/pglite');
    const { PrismaPGlite } = await import('pglite-prisma-adapter');
    const directory = path.join(options.dataDir, 'demo-pglite');
    await mkdir(directory, { recursive: true });
    const pglite = await PGlite.create(directory);
    closeDriver = () => pglite.close();
    prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
    kind = 'PGlite';
  }
  try {
    for (const statement of schemaSql) await prisma.$executeRawUnsafe(statement);
  } catch (error) {
    await prisma.$disconnect().catch(() => undefined);
    await closeDriver().catch(() => undefined);
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new DemoStoreError(`the demo's ${kind} database could not be prepared: ${reason}`, { cause: error });
  }
  return {
    prisma: withAfterCommit(prisma),
    kind,
    async close() {
      await prisma.$disconnect();
      await closeDriver();
    },
  };
}
