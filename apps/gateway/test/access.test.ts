// Who may do what: authentication on every route, roles, CSRF and Origin, API tokens, /metrics.
import { postgresTest } from '@lovage/test-support/postgres';
import { describe, expect } from 'vitest';
import { hashSecret } from '../src/auth/secrets.js';
import { ADMIN, Client, errorOf, signedIn, startGateway } from './support.js';

const someId = '00000000-0000-4000-8000-000000000000';

describe('authentication', () => {
  postgresTest('answers 401 on every /api route without credentials, except login; /healthz and /metrics are open', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      const admin = await signedIn(gateway, 'admin');
      const document = (await (await admin.request('GET', '/api/v1/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
      const anonymous = new Client(gateway.url);
      const routes = Object.entries(document.paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => ({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, someId) })),
      );
      routes.push({ method: 'GET', path: '/api/v1/openapi.json' });
      expect(routes.length).toBeGreaterThanOrEqual(11);
      for (const route of routes) {
        if (route.path === '/api/v1/auth/login') continue;
        const response = await anonymous.request(route.method, route.path, route.method === 'GET' || route.method === 'DELETE' ? {} : { body: {} });
        expect({ ...route, status: response.status }).toEqual({ ...route, status: 401 });
        expect((await errorOf(response)).code).toBe('UNAUTHENTICATED');
      }
      expect((await anonymous.request('GET', '/healthz')).status).toBe(200);
      const metrics = await anonymous.request('GET', '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await metrics.text();
      expect(text).toContain('lovage_gateway_process_cpu_user_seconds_total');
      expect(text).toMatch(/lovage_gateway_http_requests_total\{method="GET",route="\/healthz",status="200"\} 1/);
    } finally {
      await gateway.close();
    }
  });

  postgresTest('gates /metrics behind LOVAGE_METRICS_TOKEN when it is set', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url, { security: { metricsToken: 'metrics-secret-0123456789' } });
    try {
      const client = new Client(gateway.url);
      expect((await client.request('GET', '/metrics')).status).toBe(401);
      expect((await client.request('GET', '/metrics', { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
      expect((await client.request('GET', '/metrics', { headers: { authorization: 'Bearer metrics-secret-0123456789' } })).status).toBe(200);
    } finally {
      await gateway.close();
    }
  });
});

describe('roles', () => {
  postgresTest('a viewer reads but gets 403 on admin routes, and nothing changes in the database', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      const viewer = await signedIn(gateway, 'viewer');
      const usersBefore = await gateway.prisma.user.count();
      expect((await viewer.request('GET', '/api/v1/audit')).status).toBe(200);
      expect((await viewer.request('GET', '/api/v1/auth/me')).status).toBe(200);
      for (const [method, path, body] of [
        ['GET', '/api/v1/users', undefined],
        ['POST', '/api/v1/users', { email: 'x@example.com', password: 'password-123', role: 'admin' }],
        ['POST', '/api/v1/tokens', { name: 'mine', role: 'admin' }],
        ['GET', '/api/v1/tokens', undefined],
        ['DELETE', `/api/v1/users/${someId}`, undefined],
      ] as const) {
        const response = await viewer.request(method, path, body === undefined ? {} : { body });
        expect({ method, path, status: response.status }).toEqual({ method, path, status: 403 });
        expect((await errorOf(response)).code).toBe('FORBIDDEN');
      }
      expect(await gateway.prisma.user.count()).toBe(usersBefore);
      expect(await gateway.prisma.apiToken.count()).toBe(0);
      const denied = await gateway.prisma.auditLog.findMany({ where: { outcome: 'denied' } });
      expect(denied.map((row) => row.action).sort()).toEqual(['token.create', 'user.create', 'user.delete']);
    } finally {
      await gateway.close();
    }
  });

  postgresTest('a viewer cannot promote themselves; an admin can change roles', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      const viewer = await signedIn(gateway, 'viewer');
      const me = (await (await viewer.request('GET', '/api/v1/auth/me')).json()) as { user: { id: string } };
      const response = await viewer.request('PATCH', `/api/v1/users/${me.user.id}`, { body: { role: 'admin' } });
      expect(response.status).toBe(403);
      expect((await gateway.prisma.user.findUniqueOrThrow({ where: { id: me.user.id } })).role).toBe('viewer');
      const admin = await signedIn(gateway, 'admin');
      const promoted = await admin.request('PATCH', `/api/v1/users/${me.user.id}`, { body: { role: 'operator' } });
      expect(promoted.status).toBe(200);
      expect((await gateway.prisma.user.findUniqueOrThrow({ where: { id: me.user.id } })).role).toBe('operator');
      // A role change ends the user's sessions.
      expect((await viewer.request('GET', '/api/v1/auth/me')).status).toBe(401);
    } finally {
      await gateway.close();
    }
  });

  postgresTest('an operator acts but cannot manage users or tokens', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      const operator = await signedIn(gateway, 'operator');
      expect((await operator.request('GET', '/api/v1/audit')).status).toBe(200);
      expect((await operator.request('POST', '/api/v1/tokens', { body: { name: 'x', role: 'viewer' } })).status).toBe(403);
      expect((await operator.request('POST', '/api/v1/users', { body: { email: 'y@example.com', password: 'password-123' } })).status).toBe(403);
      expect(await gateway.prisma.apiToken.count()).toBe(0);
    } finally {
      await gateway.close();
    }
  });
});

describe('CSRF and Origin', () => {
  postgresTest('refuses a state-changing session request without or with a wrong x-csrf-token', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      const admin = await signedIn(gateway, 'admin');
      const body = { email: 'csrf@example.com', password: 'password-123', role: 'viewer' };
      const missing = await admin.request('POST', '/api/v1/users', { body, noCsrf: true });
      expect(missing.status).toBe(403);
      expect((await errorOf(missing)).code).toBe('CSRF_FAILED');
      const wrong = await admin.request('POST', '/api/v1/users', { body, headers: { 'x-csrf-token': 'forged' } });
      expect(wrong.status).toBe(403);
      const logout = await admin.request('POST', '/api/v1/auth/logout', { noCsrf: true });
      expect(logout.status).toBe(403);
      expect(await gateway.prisma.user.count({ where: { email: 'csrf@example.com' } })).toBe(0);
      expect(await gateway.prisma.session.count()).toBe(1);
      const ok = await admin.request('POST', '/api/v1/users', { body });
      expect(ok.status).toBe(201);
    } finally {
      await gateway.close();
    }
  });

  postgresTest('refuses a state-changing request from a foreign Origin, accepts the gateway\'s and the dashboard\'s', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      const admin = await signedIn(gateway, 'admin');
      const foreign = await admin.request('POST', '/api/v1/tokens', { body: { name: 'a', role: 'viewer' }, headers: { origin: 'https://evil.example' } });
      expect(foreign.status).toBe(403);
      expect((await errorOf(foreign)).code).toBe('ORIGIN_FORBIDDEN');
      const login = await new Client(gateway.url).request('POST', '/api/v1/auth/login', { body: ADMIN, headers: { origin: 'https://evil.example' } });
      expect(login.status).toBe(403);
      expect(await gateway.prisma.apiToken.count()).toBe(0);
      for (const origin of ['http://dashboard.test:3000', new URL(gateway.url).origin]) {
        const response = await admin.request('POST', '/api/v1/tokens', { body: { name: origin, role: 'viewer' }, headers: { origin } });
        expect(response.status).toBe(201);
      }
    } finally {
      await gateway.close();
    }
  });

  postgresTest('accepts the dashboard opened as 127.0.0.1 when it is configured as localhost, and the reverse', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url, { security: { dashboardUrl: 'http://localhost:3000' } });
    try {
      for (const origin of ['http://localhost:3000', 'http://127.0.0.1:3000']) {
        const login = await new Client(gateway.url).request('POST', '/api/v1/auth/login', { body: ADMIN, headers: { origin } });
        expect(login.status).toBe(200);
      }
      const otherPort = await new Client(gateway.url).request('POST', '/api/v1/auth/login', { body: ADMIN, headers: { origin: 'http://127.0.0.1:3001' } });
      expect(otherPort.status).toBe(403);
    } finally {
      await gateway.close();
    }
  });
});

describe('API tokens', () => {
  postgresTest('are shown once, stored hashed, work without CSRF, and keep their role', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      const admin = await signedIn(gateway, 'admin');
      const created = await admin.request('POST', '/api/v1/tokens', { body: { name: 'ci', role: 'admin' } });
      expect(created.status).toBe(201);
      const token = (await created.json()) as { token: string; id: string; name: string; role: string; createdBy: string };
      expect(token).toMatchObject({ name: 'ci', role: 'admin', createdBy: ADMIN.email, expiresAt: null });
      expect(token.token).toMatch(/^lvg_[A-Za-z0-9_-]{43}$/);

      const row = await gateway.prisma.apiToken.findUniqueOrThrow({ where: { id: token.id } });
      expect(row.tokenHash).toBe(hashSecret(token.token));
      const listing = await (await admin.request('GET', '/api/v1/tokens')).text();
      expect(listing).toContain('"ci"');
      expect(listing).not.toContain(token.token);
      expect(listing).not.toContain(row.tokenHash);

      // A bearer request needs no CSRF token and no cookies.
      const bearer = new Client(gateway.url);
      const auth = { authorization: `Bearer ${token.token}` };
      const made = await bearer.request('POST', '/api/v1/users', { body: { email: 'bot@example.com', password: 'password-123' }, headers: auth });
      expect(made.status).toBe(201);
      const audit = await gateway.prisma.auditLog.findFirstOrThrow({ where: { action: 'user.create', outcome: 'ok', actor: 'token:ci' } });
      expect(audit.actorId).toBe(token.id);

      const viewerToken = (await (await admin.request('POST', '/api/v1/tokens', { body: { name: 'ro', role: 'viewer' } })).json()) as { token: string };
      const readOnly = { authorization: `Bearer ${viewerToken.token}` };
      expect((await bearer.request('GET', '/api/v1/audit', { headers: readOnly })).status).toBe(200);
      expect((await bearer.request('POST', '/api/v1/tokens', { body: { name: 'x', role: 'admin' }, headers: readOnly })).status).toBe(403);
      const me = (await (await bearer.request('GET', '/api/v1/auth/me', { headers: readOnly })).json()) as { user: { role: string }; token: { name: string } };
      expect(me).toMatchObject({ user: { role: 'viewer', email: ADMIN.email }, token: { name: 'ro' } });
    } finally {
      await gateway.close();
    }
  });

  postgresTest('stop working after expiresAt and after being deleted', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      const admin = await signedIn(gateway, 'admin');
      const expiresAt = new Date(Date.now() + 60_000).toISOString();
      const created = (await (await admin.request('POST', '/api/v1/tokens', { body: { name: 'short', role: 'viewer', expiresAt } })).json()) as { token: string; id: string; expiresAt: string };
      expect(Date.parse(created.expiresAt)).toBe(Date.parse(expiresAt));
      const client = new Client(gateway.url);
      const auth = { authorization: `Bearer ${created.token}` };
      expect((await client.request('GET', '/api/v1/audit', { headers: auth })).status).toBe(200);
      await gateway.prisma.apiToken.update({ where: { id: created.id }, data: { expiresAt: new Date(Date.now() - 1) } });
      const expired = await client.request('GET', '/api/v1/audit', { headers: auth });
      expect(expired.status).toBe(401);
      expect((await errorOf(expired)).code).toBe('TOKEN_EXPIRED');

      const other = (await (await admin.request('POST', '/api/v1/tokens', { body: { name: 'gone', role: 'viewer' } })).json()) as { token: string; id: string };
      expect((await admin.request('DELETE', `/api/v1/tokens/${other.id}`)).status).toBe(204);
      expect((await client.request('GET', '/api/v1/audit', { headers: { authorization: `Bearer ${other.token}` } })).status).toBe(401);
      expect((await admin.request('DELETE', `/api/v1/tokens/${other.id}`)).status).toBe(404);
      expect((await client.request('GET', '/api/v1/audit', { headers: { authorization: 'Bearer lvg_not-a-real-token' } })).status).toBe(401);
      expect((await client.request('GET', '/api/v1/audit', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
    } finally {
      await gateway.close();
    }
  });
});
