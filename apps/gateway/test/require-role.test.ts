// requireRole('operator'): the preHandler later action routes (revoke, retry, purge...) carry.
import { postgresTest } from '@lovage/test-support/postgres';
import Fastify from 'fastify';
import pino from 'pino';
import { describe, expect } from 'vitest';
import { installErrorHandlers } from '../src/api/error-handler.js';
import type { Role } from '../src/api/schemas.js';
import { AuditLog } from '../src/audit/audit-log.js';
import { requireRole } from '../src/auth/require-role.js';
import { SCOPES_FOR_ROLE } from '../src/auth/scopes.js';
import { openDatabase } from '../src/store/database.js';

describe('requireRole', () => {
  postgresTest('lets operators and admins act, refuses viewers with 403 and audits the refusal', async ({ postgres }) => {
    const database = await openDatabase({ databaseUrl: postgres.url });
    const app = Fastify();
    try {
      app.decorate('audit', new AuditLog(database.prisma, pino({ level: 'silent' })));
      app.decorateRequest('principal', null);
      installErrorHandlers(app);
      app.addHook('onRequest', (request, _reply, done) => {
        const role = request.headers['x-role'] as Role | undefined;
        if (role) request.principal = { kind: 'token', tokenId: `id-${role}`, name: role, role, scopes: SCOPES_FOR_ROLE[role], userId: null, userEmail: null };
        done();
      });
      let acted = 0;
      app.post('/tasks/:id/revoke', { preHandler: requireRole('operator'), config: { action: 'task.revoke' } }, (_request, reply) => {
        acted += 1;
        return reply.send({ revoked: true });
      });

      const as = (role?: Role) => app.inject({ method: 'POST', url: '/tasks/t1/revoke', headers: role ? { 'x-role': role } : {} });
      expect((await as()).statusCode).toBe(401);
      const denied = await as('viewer');
      expect(denied.statusCode).toBe(403);
      expect(denied.json()).toEqual({ error: { code: 'FORBIDDEN', message: 'This needs the operator role; you have viewer' } });
      expect(acted).toBe(0);
      expect((await as('operator')).statusCode).toBe(200);
      expect((await as('admin')).statusCode).toBe(200);
      expect(acted).toBe(2);
      const audit = await database.prisma.auditLog.findMany();
      expect(audit).toEqual([
        expect.objectContaining({ actor: 'token:viewer', actorId: 'id-viewer', action: 'task.revoke', outcome: 'denied', error: 'FORBIDDEN', target: '/tasks/t1/revoke' }),
      ]);
    } finally {
      await app.close();
      await database.close();
    }
  });
});
