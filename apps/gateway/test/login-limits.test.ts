// The failed-login limit lives in the database: every gateway counts the same
// failures, a restart forgives none, lockouts and unlocks are audited, and
// "sign out everywhere" ends every session of the user.
import { postgresTest } from '@lovage/test-support/postgres';
import { describe, expect } from 'vitest';
import { ADMIN, Client, errorOf, signedIn, startGateway } from './support.js';

const limit = { loginRateLimit: { maxFailures: 3, windowMs: 15 * 60_000 } };

describe('login limits shared by every gateway', () => {
  postgresTest('failures on two gateways add up, the lockout survives a restart, and an admin unlock is audited', async ({ postgres }) => {
    const first = await startGateway(postgres.url, limit);
    const second = await startGateway(postgres.url, limit);
    try {
      expect((await new Client(first.url).login(ADMIN.email, 'wrong-1')).status).toBe(401);
      expect((await new Client(second.url).login(ADMIN.email, 'wrong-2')).status).toBe(401);
      expect((await new Client(first.url).login(ADMIN.email, 'wrong-3')).status).toBe(401);
      const refused = await new Client(second.url).login(ADMIN.email, ADMIN.password);
      expect(refused.status).toBe(429);
      expect((await errorOf(refused)).code).toBe('RATE_LIMITED');
    } finally {
      await first.close();
      await second.close();
    }

    const restarted = await startGateway(postgres.url, limit);
    try {
      expect((await new Client(restarted.url).login(ADMIN.email, ADMIN.password)).status).toBe(429);
      const lockouts = await restarted.prisma.auditLog.findMany({ where: { action: 'auth.lockout' } });
      expect(lockouts.map((row) => row.target)).toEqual([`email:${ADMIN.email}`]);

      // Another admin lets the locked-out one back in.
      await restarted.prisma.user.create({
        data: { email: 'second-admin@example.com', passwordHash: (await restarted.prisma.user.findFirstOrThrow()).passwordHash, role: 'admin' },
      });
      const other = new Client(restarted.url);
      expect((await other.login('second-admin@example.com', ADMIN.password)).status).toBe(200);
      const listed = (await (await other.request('GET', '/api/v1/auth/lockouts')).json()) as { lockouts: { kind: string; value: string; retryAfterSeconds: number }[] };
      expect(listed.lockouts).toEqual([{ kind: 'email', value: ADMIN.email, retryAfterSeconds: expect.any(Number) as number }]);
      expect((await other.request('POST', '/api/v1/auth/unlock', { body: { kind: 'email', value: ADMIN.email } })).status).toBe(204);
      expect((await new Client(restarted.url).login(ADMIN.email, ADMIN.password)).status).toBe(200);
      const unlocks = await restarted.prisma.auditLog.findMany({ where: { action: 'auth.unlock' } });
      expect(unlocks).toMatchObject([{ actor: 'second-admin@example.com', target: `email:${ADMIN.email}`, outcome: 'ok' }]);
    } finally {
      await restarted.close();
    }
  });
});

describe('unknown API tokens', () => {
  postgresTest("count against the client address on every gateway, until it is locked out (429, audited, sign-in too); a valid token is never slowed", async ({ postgres }) => {
    const first = await startGateway(postgres.url, limit);
    const second = await startGateway(postgres.url, limit);
    try {
      const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
      const admin = await signedIn(first, 'admin');
      const created = (await (await admin.request('POST', '/api/v1/tokens', { body: { name: 'ci', role: 'viewer' } })).json()) as { token: string };
      // The address limit is ten times the email limit: 30 unknown tokens, on either gateway.
      for (let i = 0; i < 30; i++) {
        const gateway = i % 2 === 0 ? first : second;
        const response = await new Client(gateway.url).request('GET', '/api/v1/tasks', bearer(`lvg_guess${i}`));
        expect(response.status).toBe(401);
      }
      const refused = await new Client(second.url).request('GET', '/api/v1/tasks', bearer('lvg_one-more-guess'));
      expect(refused.status).toBe(429);
      expect((await errorOf(refused)).code).toBe('RATE_LIMITED');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      const lockouts = await first.prisma.auditLog.findMany({ where: { action: 'auth.lockout' } });
      expect(lockouts).toMatchObject([{ actor: 'unknown API token', target: 'ip:127.0.0.1' }]);

      // The address may not sign in either now; a real token from it still works (valid tokens are
      // not looked up in the limiter).
      expect((await new Client(first.url).login(ADMIN.email, ADMIN.password)).status).toBe(429);
      expect((await new Client(first.url).request('GET', '/api/v1/tasks', bearer(created.token))).status).toBe(200);
    } finally {
      await first.close();
      await second.close();
    }
  });
});

describe('sign out everywhere', () => {
  postgresTest('ends every session of the user, the calling one included, and leaves other users signed in', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      const laptop = await signedIn(gateway, 'admin');
      const phone = await signedIn(gateway, 'admin');
      const colleague = await signedIn(gateway, 'viewer');
      const admin = await gateway.prisma.user.findUniqueOrThrow({ where: { email: ADMIN.email } });
      const adminSessions = await gateway.prisma.session.count({ where: { userId: admin.id } });
      expect(adminSessions).toBeGreaterThanOrEqual(2);
      expect((await laptop.request('POST', '/api/v1/auth/logout-everywhere')).status).toBe(204);
      expect((await laptop.request('GET', '/api/v1/auth/me')).status).toBe(401);
      expect((await phone.request('GET', '/api/v1/auth/me')).status).toBe(401);
      expect((await colleague.request('GET', '/api/v1/auth/me')).status).toBe(200);
      const audit = await gateway.prisma.auditLog.findMany({ where: { action: 'auth.logout_everywhere' } });
      expect(audit).toMatchObject([{ actor: ADMIN.email, outcome: 'ok', params: { sessions: adminSessions } }]);
      expect(await gateway.prisma.session.count({ where: { userId: admin.id } })).toBe(0);
    } finally {
      await gateway.close();
    }
  });
});
