// Sign-in, sessions and their cookies, logout, expiry, rate limiting, first run.
import { postgresTest } from '@lovage/test-support/postgres';
import { describe, expect } from 'vitest';
import pino from 'pino';
import { hashSecret } from '../src/auth/secrets.js';
import { createGateway } from '../src/server.js';
import { ADMIN, Client, errorOf, startGateway } from './support.js';

describe('login', () => {
  postgresTest('signs in with the right password, returns the user and sets both cookies with safe flags', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      const client = new Client(gateway.url);
      const response = await client.login(ADMIN.email, ADMIN.password);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { user: { id: string; email: string; role: string } };
      expect(body.user).toMatchObject({ email: ADMIN.email, role: 'admin' });
      expect(body.user.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(Object.keys(body.user).sort()).toEqual(['email', 'id', 'role']);

      const session = client.lastSetCookies.find((line) => line.startsWith('lovage_session='))!;
      const csrf = client.lastSetCookies.find((line) => line.startsWith('lovage_csrf='))!;
      expect(session).toMatch(/; HttpOnly/i);
      expect(session).toMatch(/; SameSite=Lax/i);
      expect(session).toMatch(/; Path=\//);
      expect(session).not.toMatch(/; Secure/i);
      expect(csrf).not.toMatch(/HttpOnly/i);
      expect(csrf).toMatch(/; SameSite=Lax/i);

      // The database keeps only the hash of the session id.
      const secret = client.cookies.get('lovage_session')!;
      const rows = await gateway.prisma.session.findMany();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.tokenHash).toBe(hashSecret(secret));
      expect(JSON.stringify(rows)).not.toContain(secret);

      const me = await client.request('GET', '/api/v1/auth/me');
      expect(me.status).toBe(200);
      expect(await me.json()).toEqual(body);
    } finally {
      await gateway.close();
    }
  });

  postgresTest('answers a wrong password and an unknown email with the same 401 and comparable time', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url, { loginRateLimit: { maxFailures: 100, windowMs: 60_000 }, passwordCost: 16_384 });
    try {
      const client = new Client(gateway.url);
      const timed = async (email: string) => {
        const started = performance.now();
        const response = await client.login(email, 'not-the-password');
        return { ms: performance.now() - started, status: response.status, body: await response.json() };
      };
      await timed('warmup@example.com');
      const wrong: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 5; i++) {
        const a = await timed(ADMIN.email);
        const b = await timed('nobody@example.com');
        expect(a.status).toBe(401);
        expect(b.status).toBe(401);
        expect(a.body).toEqual(b.body);
        expect(a.body).toEqual({ error: { code: 'INVALID_CREDENTIALS', message: 'Email or password is incorrect' } });
        wrong.push(a.ms);
        unknown.push(b.ms);
      }
      // Both pay for a scrypt verification; skipping it for unknown emails would make them ~20x faster.
      // The fastest of each: a busy machine only ever adds time, so the minimum is each path's own
      // cost, where a median of a few tries still moved with the machine's load.
      expect(Math.min(...unknown)).toBeGreaterThan(Math.min(...wrong) * 0.3);
      expect(client.cookies.size).toBe(0);
    } finally {
      await gateway.close();
    }
  });

  postgresTest('refuses with 429 and Retry-After after 5 failures for one email, while other emails from the same address still sign in', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      const client = new Client(gateway.url);
      for (let i = 0; i < 5; i++) expect((await client.login(ADMIN.email, `wrong-${i}`)).status).toBe(401);
      const limited = await client.login(ADMIN.email, ADMIN.password);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(800);
      expect((await errorOf(limited)).code).toBe('RATE_LIMITED');
      // Everyone reaches the gateway through the dashboard's server, so one address is
      // many people: another email from it is judged on its own password.
      expect((await client.login('other@example.com', 'whatever-pw')).status).toBe(401);
      const audit = await gateway.prisma.auditLog.findMany({ where: { action: 'auth.login' }, orderBy: { id: 'asc' } });
      expect(audit.map((row) => row.outcome)).toEqual(['failed', 'failed', 'failed', 'failed', 'failed', 'denied', 'failed']);
      expect(audit[0]).toMatchObject({ actor: ADMIN.email, error: 'INVALID_CREDENTIALS', ip: '127.0.0.1' });
    } finally {
      await gateway.close();
    }
  });

  postgresTest('refuses one client address after ten times the per-email limit of failures across emails', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url, { loginRateLimit: { maxFailures: 2, windowMs: 60_000 } });
    try {
      const client = new Client(gateway.url);
      for (let i = 0; i < 20; i++) expect((await client.login(`user${i}@example.com`, 'whatever-pw')).status).toBe(401);
      expect((await client.login('fresh@example.com', 'whatever-pw')).status).toBe(429);
    } finally {
      await gateway.close();
    }
  });

  postgresTest('marks the cookies Secure behind a TLS proxy when trustProxy is on, and not when it is off', async ({ postgres }) => {
    const trusting = await startGateway(postgres.url, { security: { trustProxy: true } });
    try {
      const client = new Client(trusting.url);
      await client.request('POST', '/api/v1/auth/login', { body: ADMIN, headers: { 'x-forwarded-proto': 'https' } });
      expect(client.lastSetCookies.find((line) => line.startsWith('lovage_session='))).toMatch(/; Secure/i);
    } finally {
      await trusting.close();
    }
    const plain = await startGateway(postgres.url, { security: { trustProxy: false } });
    try {
      const client = new Client(plain.url);
      await client.request('POST', '/api/v1/auth/login', { body: ADMIN, headers: { 'x-forwarded-proto': 'https' } });
      expect(client.lastSetCookies.find((line) => line.startsWith('lovage_session='))).not.toMatch(/; Secure/i);
    } finally {
      await plain.close();
    }
  });
});

describe('sessions', () => {
  postgresTest('logout answers 204, clears the cookies and deletes the session, so the old cookie stops working', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      const client = new Client(gateway.url);
      await client.login(ADMIN.email, ADMIN.password);
      const stolen = new Client(gateway.url);
      stolen.cookies.set('lovage_session', client.cookies.get('lovage_session')!);

      const logout = await client.request('POST', '/api/v1/auth/logout');
      expect(logout.status).toBe(204);
      expect(client.lastSetCookies.some((line) => /^lovage_session=;/.test(line))).toBe(true);
      expect(client.lastSetCookies.some((line) => /^lovage_csrf=;/.test(line))).toBe(true);
      expect(await gateway.prisma.session.count()).toBe(0);
      expect((await stolen.request('GET', '/api/v1/auth/me')).status).toBe(401);
      expect(await gateway.prisma.auditLog.count({ where: { action: 'auth.logout', outcome: 'ok' } })).toBe(1);
    } finally {
      await gateway.close();
    }
  });

  postgresTest('rejects an expired session with 401 and deletes it', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      const client = new Client(gateway.url);
      await client.login(ADMIN.email, ADMIN.password);
      await gateway.prisma.session.updateMany({ data: { expiresAt: new Date(Date.now() - 1000) } });
      const response = await client.request('GET', '/api/v1/auth/me');
      expect(response.status).toBe(401);
      expect((await errorOf(response)).code).toBe('UNAUTHENTICATED');
      expect(await gateway.prisma.session.count()).toBe(0);
    } finally {
      await gateway.close();
    }
  });

  postgresTest('renews a session past half its lifetime (sliding expiry) and re-sends the cookie', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url, { security: { sessionTtlMs: 3_600_000 } });
    try {
      const client = new Client(gateway.url);
      await client.login(ADMIN.email, ADMIN.password);
      const soon = new Date(Date.now() + 60_000);
      await gateway.prisma.session.updateMany({ data: { expiresAt: soon } });
      const response = await client.request('GET', '/api/v1/auth/me');
      expect(response.status).toBe(200);
      const row = await gateway.prisma.session.findFirstOrThrow();
      expect(row.expiresAt.getTime()).toBeGreaterThan(Date.now() + 3_500_000);
      expect(client.lastSetCookies.find((line) => line.startsWith('lovage_session='))).toMatch(/Max-Age=35\d\d/);
      // The CSRF cookie is renewed with it (same value), so it never expires before the session.
      const csrf = client.cookies.get('lovage_csrf');
      expect(client.lastSetCookies.find((line) => line.startsWith('lovage_csrf='))).toMatch(/Max-Age=35\d\d/);
      expect(client.cookies.get('lovage_csrf')).toBe(csrf);
    } finally {
      await gateway.close();
    }
  });

  postgresTest('re-issues a missing CSRF cookie to a signed-in browser, which can then act again', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      const client = new Client(gateway.url);
      await client.login(ADMIN.email, ADMIN.password);
      client.cookies.delete('lovage_csrf');
      expect((await client.request('POST', '/api/v1/tokens', { body: { name: 'x', role: 'viewer' } })).status).toBe(403);
      expect((await client.request('GET', '/api/v1/auth/me')).status).toBe(200);
      expect(client.cookies.get('lovage_csrf')).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect((await client.request('POST', '/api/v1/tokens', { body: { name: 'x', role: 'viewer' } })).status).toBe(201);
    } finally {
      await gateway.close();
    }
  });

  postgresTest('ignores a forged session cookie', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      const client = new Client(gateway.url);
      client.cookies.set('lovage_session', 'A'.repeat(43));
      expect((await client.request('GET', '/api/v1/auth/me')).status).toBe(401);
    } finally {
      await gateway.close();
    }
  });
});

describe('first run', () => {
  postgresTest('creates an admin with a generated password, returned once; the next start generates nothing', async ({ postgres }) => {
    const first = await startGateway(postgres.url, { security: { adminEmail: 'admin@lovage.local', adminPassword: undefined } });
    let password: string;
    try {
      expect(first.firstRun).toEqual({ email: 'admin@lovage.local', password: expect.any(String) as string });
      password = first.firstRun!.password;
      expect(password.length).toBeGreaterThanOrEqual(20);
      expect(first.admin.password.source).toBe('generated');
      const user = await first.prisma.user.findUniqueOrThrow({ where: { email: 'admin@lovage.local' } });
      expect(user.role).toBe('admin');
      expect(user.passwordHash).not.toContain(password);
    } finally {
      await first.close();
    }
    const second = await startGateway(postgres.url, { security: { adminEmail: 'admin@lovage.local', adminPassword: undefined } });
    try {
      expect(second.firstRun).toBeNull();
      expect(second.admin.password.source).toBe('existing');
      expect(await second.prisma.user.count()).toBe(1);
      expect((await new Client(second.url).login('admin@lovage.local', password)).status).toBe(200);
    } finally {
      await second.close();
    }
  });

  postgresTest('creates the admin from LOVAGE_ADMIN_EMAIL / LOVAGE_ADMIN_PASSWORD and returns no password', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url, { security: { adminEmail: 'ops@example.com', adminPassword: 'from-the-env-123' } });
    try {
      expect(gateway.firstRun).toBeNull();
      expect(gateway.admin).toEqual({ email: 'ops@example.com', password: { source: 'environment' } });
      expect((await new Client(gateway.url).login('OPS@example.com', 'from-the-env-123')).status).toBe(200);
    } finally {
      await gateway.close();
    }
  });

  postgresTest('reads the admin from the environment when the caller passes no security settings (the demo\'s path)', async ({ postgres }) => {
    process.env.LOVAGE_ADMIN_EMAIL = 'env-admin@example.com';
    process.env.LOVAGE_ADMIN_PASSWORD = 'env-password-123';
    let gateway: Awaited<ReturnType<typeof createGateway>> | undefined;
    try {
      gateway = await createGateway({ databaseUrl: postgres.url, port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }), passwordCost: 1024 });
      expect(gateway.admin).toEqual({ email: 'env-admin@example.com', password: { source: 'environment' } });
      expect((await new Client(gateway.url).login('env-admin@example.com', 'env-password-123')).status).toBe(200);
    } finally {
      delete process.env.LOVAGE_ADMIN_EMAIL;
      delete process.env.LOVAGE_ADMIN_PASSWORD;
      await gateway?.close();
    }
  });
});
