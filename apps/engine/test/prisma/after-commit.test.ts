// After-commit dispatch and the transactional outbox, against a real Postgres
// (a throwaway database per run) with a generated Prisma 7 client.
import { randomBytes } from 'node:crypto';
import { pathToFileURL, fileURLToPath } from 'node:url';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueInTransaction, onCommit, relayOutbox, withAfterCommit, type OutboxClient, type OutboxRelayTx } from '../../src/prisma/index.js';
import type { TaskMessage } from '../../src/task/message.js';
import { harness, sleep, until, type Harness } from '../support.js';

const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const dbName = `lvt_engine_${randomBytes(4).toString('hex')}`;
const dbUrl = adminUrl.replace(/\/[^/]*$/, `/${dbName}`);

interface Tx extends OutboxClient, OutboxRelayTx {
  user: { create(args: { data: { email: string } }): Promise<{ id: number; email: string }> };
}
interface TestPrisma extends Tx {
  $transaction<T>(fn: (tx: Tx) => Promise<T>, options?: { timeout?: number }): Promise<T>;
  $disconnect(): Promise<void>;
  lovageOutbox: Tx['lovageOutbox'] & { count(): Promise<number> };
}
type PrismaCtor = new (options: { adapter: PrismaPg }) => TestPrisma;

describe('after commit with Prisma on Postgres', () => {
  let PrismaClient: PrismaCtor;
  let h: Harness;
  const clients: TestPrisma[] = [];
  const newClient = (): TestPrisma => {
    const c = new PrismaClient({ adapter: new PrismaPg({ connectionString: dbUrl }) });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const db = new pg.Client({ connectionString: dbUrl });
    await db.connect();
    await db.query(`CREATE TABLE "User" (id SERIAL PRIMARY KEY, email TEXT NOT NULL UNIQUE)`);
    await db.query(`CREATE TABLE lovage_outbox (id TEXT PRIMARY KEY, queue TEXT NOT NULL, body TEXT NOT NULL, created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP)`);
    await db.end();
    const generated = fileURLToPath(new URL('../generated/prisma/client.ts', import.meta.url));
    ({ PrismaClient } = (await import(pathToFileURL(generated).href)) as { PrismaClient: PrismaCtor });
    h = harness('redis');
  }, 60_000);

  afterAll(async () => {
    await h.close();
    for (const c of clients) await c.$disconnect();
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  });

  it('runs onCommit callbacks only after COMMIT and drops them on rollback', async () => {
    const app = h.app();
    const sent: number[] = [];
    const welcome = app.task('users.sendWelcomeEmail', (userId: number) => void sent.push(userId));
    await h.worker(app);
    const prisma = withAfterCommit(newClient());
    let ranInside = false;
    const user = await prisma.$transaction(async (tx) => {
      const u = await tx.user.create({ data: { email: `a-${dbName}@x.test` } });
      onCommit(tx, () => welcome.delay(u.id));
      await sleep(50);
      ranInside = sent.length > 0;
      return u;
    });
    await until(() => sent.length === 1);
    expect(ranInside).toBe(false);
    expect(sent).toEqual([user.id]);

    await expect(
      prisma.$transaction(async (tx) => {
        const u = await tx.user.create({ data: { email: `b-${dbName}@x.test` } });
        onCommit(tx, () => welcome.delay(u.id));
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    await sleep(300);
    expect(sent).toEqual([user.id]);
  });

  it('writes outbox rows in the transaction; the relay publishes and deletes them; rollback leaves none', async () => {
    const app = h.app({ defaultQueue: 'outbox-1' });
    const sent: string[] = [];
    const welcome = app.task('outbox.welcome', (email: string) => void sent.push(email));
    await h.worker(app);
    const prisma = newClient();
    await expect(
      prisma.$transaction(async (tx) => {
        await enqueueInTransaction(tx, welcome, ['rolled-back']);
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    const id = await prisma.$transaction(async (tx) => {
      await tx.user.create({ data: { email: `c-${dbName}@x.test` } });
      return enqueueInTransaction(tx, welcome, ['committed']);
    });
    expect(await prisma.lovageOutbox.count()).toBe(1);
    const relay = relayOutbox({ prisma, app, interval: 50 });
    expect(await app.asyncResult(id).get({ timeout: 10_000 })).toBeNull();
    await relay.stop();
    expect(sent).toEqual(['committed']);
    expect(await prisma.lovageOutbox.count()).toBe(0);
  });

  it('still delivers when the producer crashes between COMMIT and publish', async () => {
    // The "crashed" producer: committed the row, never published, connection gone.
    const crashed = newClient();
    const producerApp = h.app({ defaultQueue: 'outbox-2' });
    const welcome = producerApp.task('outbox.crash', (n: number) => n * 2);
    const id = await crashed.$transaction((tx) => enqueueInTransaction(tx, welcome, [21]));
    await crashed.$disconnect();

    // A fresh process: new client, new app, the relay started with the worker.
    const app = h.app({ defaultQueue: 'outbox-2' });
    app.task('outbox.crash', (n: number) => n * 2);
    await h.worker(app);
    const relay = relayOutbox({ prisma: newClient(), app, interval: 50 });
    expect(await app.asyncResult<number>(id).get({ timeout: 10_000 })).toBe(42);
    await relay.stop();
  });

  it('three relays on one table publish each row exactly once', async () => {
    const rows = 300;
    const producerApp = h.app({ defaultQueue: 'outbox-3' });
    const task = producerApp.task('outbox.many', (n: number) => n);
    const producer = newClient();
    const ids = await producer.$transaction(async (tx) => {
      const out: string[] = [];
      for (let n = 0; n < rows; n++) out.push(await enqueueInTransaction(tx, task, [n]));
      return out;
    }, { timeout: 60_000 });

    // Each relay has its own app and client; every publish is counted per task id.
    const published = new Map<string, number>();
    const relays = [1, 2, 3].map(() => {
      const app = h.app({ defaultQueue: 'outbox-3' });
      const publishRaw = app.publishRaw.bind(app);
      app.publishRaw = async (message: TaskMessage) => {
        published.set(message.id, (published.get(message.id) ?? 0) + 1);
        return publishRaw(message);
      };
      return relayOutbox({ prisma: newClient(), app, interval: 20, batchSize: 10 });
    });
    await until(async () => (await producer.lovageOutbox.count()) === 0, 60_000);
    await Promise.all(relays.map((r) => r.stop()));

    const twice = [...published].filter(([, n]) => n > 1).map(([id]) => id);
    expect(twice).toEqual([]);
    expect([...published.keys()].sort()).toEqual([...ids].sort());
  }, 90_000);
});
