// createGateway end to end: a real server, a real database, GET /healthz.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testPostgresUrl } from '@lovage/test-support';
import { postgresTest } from '@lovage/test-support/postgres';
import pg from 'pg';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createGateway } from '../src/server.js';
import { Client } from './support.js';

const logger = pino({ level: 'silent' });

describe('createGateway', () => {
  // One PGlite database for both checks: opening PGlite costs seconds on a busy machine.
  it('answers /healthz with the embedded PGlite database, where the first admin signs in and manages users', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'lovage-gw-'));
    const gateway = await createGateway({
      dataDir,
      port: 0,
      host: '127.0.0.1',
      logger,
      security: { adminEmail: 'admin@lovage.local', adminPassword: undefined, metricsToken: undefined },
    });
    try {
      const response = await fetch(`${gateway.url}/healthz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok', database: { ok: true, kind: 'pglite' } });
      expect(await gateway.prisma.task.count()).toBe(0);

      expect(gateway.firstRun?.email).toBe('admin@lovage.local');
      const admin = new Client(gateway.url);
      expect((await admin.login('admin@lovage.local', gateway.firstRun!.password)).status).toBe(200);
      const created = await admin.request('POST', '/api/v1/users', { body: { email: 'admin2@example.com', password: 'password-123', role: 'admin' } });
      expect(created.status).toBe(201);
      const { user } = (await created.json()) as { user: { id: string } };
      expect((await admin.request('DELETE', `/api/v1/users/${user.id}`)).status).toBe(204);
      const me = (await (await admin.request('GET', '/api/v1/auth/me')).json()) as { user: { id: string } };
      expect((await admin.request('PATCH', `/api/v1/users/${me.user.id}`, { body: { role: 'viewer' } })).status).toBe(409);
      const audit = (await (await admin.request('GET', '/api/v1/audit?limit=10')).json()) as { entries: { action: string; outcome: string }[] };
      expect(audit.entries.map((entry) => `${entry.action}:${entry.outcome}`)).toEqual([
        'user.update:failed',
        'user.delete:ok',
        'user.create:ok',
        'auth.login:ok',
      ]);
    } finally {
      await gateway.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  postgresTest('answers /healthz with PostgreSQL', async ({ postgres }) => {
    const gateway = await createGateway({ databaseUrl: postgres.url, port: 0, host: '127.0.0.1', logger });
    try {
      const response = await fetch(`${gateway.url}/healthz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok', database: { ok: true, kind: 'postgres' } });
    } finally {
      await gateway.close();
    }
  });

  postgresTest('answers 503 when the database stops answering', async ({ postgres }) => {
    const gateway = await createGateway({ databaseUrl: postgres.url, port: 0, host: '127.0.0.1', logger });
    try {
      await gateway.prisma.$disconnect();
      // Terminate the pool's connections and forbid new ones, as if the server went away.
      const admin = new pg.Client({ connectionString: testPostgresUrl });
      await admin.connect();
      await admin.query(`ALTER DATABASE "${postgres.name}" WITH ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [postgres.name]);
      const response = await fetch(`${gateway.url}/healthz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'degraded', database: { ok: false, kind: 'postgres' } });
      await admin.query(`ALTER DATABASE "${postgres.name}" WITH ALLOW_CONNECTIONS true`);
      await admin.end();
    } finally {
      await gateway.close();
    }
  });

  it('fails with a clear error naming the database when DATABASE_URL is unreachable', async () => {
    await expect(
      createGateway({ databaseUrl: 'postgresql://postgres@127.0.0.1:1/nowhere', port: 0, host: '127.0.0.1', logger }),
    ).rejects.toThrow(/Cannot prepare the PostgreSQL database at postgresql:\/\/postgres@127\.0\.0\.1:1\/nowhere: .*ECONNREFUSED/);
  });

  it('hides the password of a broken DATABASE_URL', async () => {
    await expect(
      createGateway({ databaseUrl: 'postgresql://postgres:s3cret@127.0.0.1:5432/lovage_does_not_exist', port: 0, host: '127.0.0.1', logger }),
    ).rejects.toThrow(/postgres:\*\*\*@127\.0\.0\.1:5432\/lovage_does_not_exist: database "lovage_does_not_exist" does not exist/);
  });
});
