// The API's contract: validation errors naming the field, users, the audit log
// with cursor pages, JSON-only responses and the OpenAPI document.
import { postgresTest } from '@lovage/test-support/postgres';
import { describe, expect } from 'vitest';
import { ADMIN, Client, errorOf, signedIn, startGateway } from './support.js';

describe('validation', () => {
  postgresTest('answers 400 naming the invalid field on every route that takes input', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      const admin = await signedIn(gateway, 'admin');
      const cases: [string, string, unknown, string][] = [
        ['POST', '/api/v1/auth/login', { email: 'not-an-email', password: 'x' }, 'email'],
        ['POST', '/api/v1/auth/login', { email: 'a@example.com' }, 'password'],
        ['GET', '/api/v1/users?limit=0', undefined, 'limit'],
        ['GET', '/api/v1/users?cursor=garbage', undefined, 'cursor'],
        ['GET', `/api/v1/tokens?cursor=${Buffer.from('["2026-01-01T00:00:00.000Z","not-a-uuid"]').toString('base64url')}`, undefined, 'cursor'],
        ['GET', `/api/v1/audit?cursor=${Buffer.from('["2026-01-01T00:00:00.000Z","x1"]').toString('base64url')}`, undefined, 'cursor'],
        ['POST', '/api/v1/users', { email: 'new@example.com', password: 'short' }, 'password'],
        ['POST', '/api/v1/users', { email: 'new@example.com', password: 'password-123', role: 'root' }, 'role'],
        ['PATCH', '/api/v1/users/not-a-uuid', { role: 'viewer' }, 'id'],
        ['PATCH', '/api/v1/users/00000000-0000-4000-8000-000000000000', {}, 'role'],
        ['DELETE', '/api/v1/users/123', undefined, 'id'],
        ['GET', '/api/v1/tokens?limit=abc', undefined, 'limit'],
        ['POST', '/api/v1/tokens', { name: '', role: 'viewer' }, 'name'],
        ['POST', '/api/v1/tokens', { name: 'x', role: 'viewer', expiresAt: 'tomorrow' }, 'expiresAt'],
        ['POST', '/api/v1/tokens', { name: 'x', role: 'viewer', expiresAt: '2001-01-01T00:00:00Z' }, 'expiresAt'],
        ['DELETE', '/api/v1/tokens/xyz', undefined, 'id'],
        ['GET', '/api/v1/audit?limit=1000', undefined, 'limit'],
        ['GET', '/api/v1/audit?since=yesterday', undefined, 'since'],
        ['GET', '/api/v1/audit?until=2026-13-01', undefined, 'until'],
      ];
      for (const [method, path, body, field] of cases) {
        const response = await admin.request(method, path, body === undefined ? {} : { body });
        const error = await errorOf(response);
        expect({ method, path, status: response.status, field: error.field, code: error.code }).toEqual({
          method,
          path,
          status: 400,
          field,
          code: 'VALIDATION_FAILED',
        });
      }
      const malformed = await admin.request('POST', '/api/v1/users', { body: '{"email":', headers: { 'content-type': 'application/json' } });
      expect(malformed.status).toBe(400);
      expect(await errorOf(malformed)).toMatchObject({ code: 'INVALID_JSON', field: 'body' });
      const noBody = await admin.request('POST', '/api/v1/tokens');
      expect(noBody.status).toBe(400);
    } finally {
      await gateway.close();
    }
  });
});

describe('users', () => {
  postgresTest('an admin creates, lists, updates and deletes users; duplicates, self-deletion and the last admin are refused', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      const admin = await signedIn(gateway, 'admin');
      const created = await admin.request('POST', '/api/v1/users', { body: { email: 'Ann@Example.com', password: 'password-123', role: 'operator' } });
      expect(created.status).toBe(201);
      const ann = ((await created.json()) as { user: { id: string; email: string; role: string } }).user;
      expect(ann).toMatchObject({ email: 'ann@example.com', role: 'operator' });
      expect(JSON.stringify(ann)).not.toContain('password');

      const duplicate = await admin.request('POST', '/api/v1/users', { body: { email: 'ann@example.com', password: 'password-123' } });
      expect(duplicate.status).toBe(409);
      expect(await errorOf(duplicate)).toMatchObject({ code: 'EMAIL_TAKEN', field: 'email' });

      const page1 = (await (await admin.request('GET', '/api/v1/users?limit=1')).json()) as { users: { email: string }[]; nextCursor: string };
      expect(page1.users.map((user) => user.email)).toEqual([ADMIN.email]);
      const page2 = (await (await admin.request('GET', `/api/v1/users?limit=1&cursor=${page1.nextCursor}`)).json()) as { users: { email: string }[]; nextCursor: null };
      expect(page2).toMatchObject({ users: [{ email: 'ann@example.com' }], nextCursor: null });

      const me = (await (await admin.request('GET', '/api/v1/auth/me')).json()) as { user: { id: string } };
      const selfDelete = await admin.request('DELETE', `/api/v1/users/${me.user.id}`);
      expect(selfDelete.status).toBe(409);
      expect((await errorOf(selfDelete)).code).toBe('CANNOT_DELETE_SELF');
      const demoteLast = await admin.request('PATCH', `/api/v1/users/${me.user.id}`, { body: { role: 'viewer' } });
      expect(demoteLast.status).toBe(409);
      expect((await errorOf(demoteLast)).code).toBe('LAST_ADMIN');
      expect((await gateway.prisma.user.findUniqueOrThrow({ where: { id: me.user.id } })).role).toBe('admin');

      const newPassword = await admin.request('PATCH', `/api/v1/users/${ann.id}`, { body: { password: 'another-password' } });
      expect(newPassword.status).toBe(200);
      expect((await new Client(gateway.url).login('ann@example.com', 'another-password')).status).toBe(200);

      expect((await admin.request('DELETE', `/api/v1/users/${ann.id}`)).status).toBe(204);
      expect((await admin.request('DELETE', `/api/v1/users/${ann.id}`)).status).toBe(404);
      expect((await admin.request('PATCH', `/api/v1/users/${ann.id}`, { body: { role: 'viewer' } })).status).toBe(404);
      expect(await gateway.prisma.session.count({ where: { userId: ann.id } })).toBe(0);

      const actions = await gateway.prisma.auditLog.findMany({ where: { actor: ADMIN.email, action: { startsWith: 'user.' } }, orderBy: { id: 'asc' } });
      expect(actions.map((row) => `${row.action}:${row.outcome}:${row.error ?? ''}`)).toEqual([
        'user.create:ok:',
        'user.create:failed:EMAIL_TAKEN',
        'user.delete:failed:CANNOT_DELETE_SELF',
        'user.update:failed:LAST_ADMIN',
        'user.update:ok:',
        'user.delete:ok:',
        'user.delete:failed:NOT_FOUND',
        'user.update:failed:NOT_FOUND',
      ]);
    } finally {
      await gateway.close();
    }
  });

  postgresTest('people change their own password only with the current one', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      const viewer = await signedIn(gateway, 'viewer');
      const me = (await (await viewer.request('GET', '/api/v1/auth/me')).json()) as { user: { id: string; email: string } };
      const without = await viewer.request('PATCH', `/api/v1/users/${me.user.id}`, { body: { password: 'brand-new-password' } });
      expect(without.status).toBe(401);
      const wrong = await viewer.request('PATCH', `/api/v1/users/${me.user.id}`, { body: { password: 'brand-new-password', currentPassword: 'nope' } });
      expect(wrong.status).toBe(401);
      const ok = await viewer.request('PATCH', `/api/v1/users/${me.user.id}`, {
        body: { password: 'brand-new-password', currentPassword: 'user-password-123' },
      });
      expect(ok.status).toBe(200);
      // The session that made the change stays signed in.
      expect((await viewer.request('GET', '/api/v1/auth/me')).status).toBe(200);
      expect((await new Client(gateway.url).login(me.user.email, 'brand-new-password')).status).toBe(200);
      const admins = await gateway.prisma.user.findFirstOrThrow({ where: { role: 'admin' } });
      expect((await viewer.request('PATCH', `/api/v1/users/${admins.id}`, { body: { password: 'taken-over-123' } })).status).toBe(403);
    } finally {
      await gateway.close();
    }
  });
});

describe('audit log', () => {
  postgresTest('filters by actor, action and time, and pages newest first with an opaque cursor', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      const admin = await signedIn(gateway, 'admin');
      const anonymous = new Client(gateway.url);
      await anonymous.login('mallory@example.com', 'guess-123');
      for (const name of ['t1', 't2', 't3']) await admin.request('POST', '/api/v1/tokens', { body: { name, role: 'viewer' } });
      await gateway.audit.record({ principal: null, actor: 'system', action: 'task.revoke', target: 'task-1', params: { terminate: true }, outcome: 'ok', ip: null });

      const all = (await (await admin.request('GET', '/api/v1/audit')).json()) as { entries: { action: string; actor: string }[] };
      expect(all.entries[0]).toMatchObject({ action: 'task.revoke', actor: 'system', target: 'task-1', params: { terminate: true } });

      const failed = (await (await admin.request('GET', '/api/v1/audit?actor=mallory@example.com')).json()) as { entries: unknown[] };
      expect(failed.entries).toEqual([
        expect.objectContaining({ action: 'auth.login', outcome: 'failed', error: 'INVALID_CREDENTIALS', ip: '127.0.0.1', actorId: null }),
      ]);

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `/api/v1/audit?action=token.create&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const page = (await (await admin.request('GET', query)).json()) as { entries: { params: { name: string } }[]; nextCursor: string | null };
        seen.push(...page.entries.map((entry) => entry.params.name));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(['t3', 't2', 't1']);

      const future = new Date(Date.now() + 60_000).toISOString();
      const none = (await (await admin.request('GET', `/api/v1/audit?since=${encodeURIComponent(future)}`)).json()) as { entries: unknown[] };
      expect(none.entries).toEqual([]);
      const until = (await (await admin.request('GET', `/api/v1/audit?until=${encodeURIComponent(future)}&action=auth.login`)).json()) as { entries: unknown[] };
      expect(until.entries.length).toBe(2);
    } finally {
      await gateway.close();
    }
  });
});

describe('responses', () => {
  postgresTest('returns user-provided strings as JSON data, never as HTML', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      const admin = await signedIn(gateway, 'admin');
      const name = '<script>alert(1)</script><img src=x onerror=alert(2)>';
      const created = await admin.request('POST', '/api/v1/tokens', { body: { name, role: 'viewer' } });
      expect(created.headers.get('content-type')).toMatch(/^application\/json/);
      expect(created.headers.get('x-content-type-options')).toBe('nosniff');
      const listing = await admin.request('GET', '/api/v1/tokens');
      expect(listing.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await listing.json()) as { tokens: { name: string }[] };
      expect(body.tokens[0]!.name).toBe(name);
      const missing = await admin.request('GET', '/api/v1/<b>nope</b>');
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toMatch(/^application\/json/);
      const failed = await new Client(gateway.url).login('<b>x</b>@example.com', '<i>pw</i>');
      expect(failed.headers.get('content-type')).toMatch(/^application\/json/);
    } finally {
      await gateway.close();
    }
  });

  postgresTest('publishes an OpenAPI 3.1 document generated from the zod schemas', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      const viewer = await signedIn(gateway, 'viewer');
      const response = await viewer.request('GET', '/api/v1/openapi.json');
      expect(response.status).toBe(200);
      const document = (await response.json()) as {
        openapi: string;
        paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; requestBody?: unknown; responses: Record<string, unknown>; security?: unknown[] }>>;
        components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
      };
      expect(document.openapi).toBe('3.1.0');
      expect(Object.keys(document.paths).sort()).toEqual(
        expect.arrayContaining([
          '/api/v1/audit',
          '/api/v1/auth/login',
          '/api/v1/auth/logout',
          '/api/v1/auth/me',
          '/api/v1/tokens',
          '/api/v1/tokens/{id}',
          '/api/v1/users',
          '/api/v1/users/{id}',
          '/api/v1/tasks',
          '/api/v1/tasks/facets',
          '/api/v1/tasks/{id}',
          '/api/v1/workers',
          '/api/v1/workers/{hostname}',
          '/api/v1/queues',
          '/api/v1/dead-letters',
          '/api/v1/schedules',
          '/api/v1/schedules/{id}',
          '/api/v1/metrics/throughput',
          '/api/v1/overview',
        ]),
      );
      expect(document.paths['/api/v1/tasks']!.get!.parameters!.map((p) => p.name).sort()).toEqual(['cluster', 'cursor', 'limit', 'name', 'q', 'queue', 'since', 'state', 'until', 'worker']);
      expect(document.paths['/api/v1/auth/login']!.post!.security).toEqual([]);
      expect(document.paths['/api/v1/audit']!.get!.parameters!.map((p) => p.name).sort()).toEqual(['action', 'actor', 'cursor', 'limit', 'since', 'until']);
      expect(document.paths['/api/v1/users/{id}']!.delete!.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path' })]);
      expect(Object.keys(document.paths['/api/v1/tokens']!.post!.responses)).toContain('201');
      expect(document.components.schemas.User!.properties).toHaveProperty('email');
      expect(JSON.stringify(document)).not.toContain('#/$defs/');
      for (const ref of JSON.stringify(document).match(/#\/components\/schemas\/[A-Za-z]+/g) ?? []) {
        expect(document.components.schemas).toHaveProperty(ref.split('/').pop()!);
      }
    } finally {
      await gateway.close();
    }
  });
});
