// GET /audit: the audit log, newest first, filtered and paged.
import { defineRoute, type RouteRegistrar } from '../api/route.js';
import { AuditPageSchema, AuditQuerySchema } from '../api/schemas.js';

export function registerAuditRoutes(registrar: RouteRegistrar): void {
  defineRoute(registrar, {
    method: 'GET',
    url: '/audit',
    summary: 'The audit log: who did what, when, from where, with which outcome',
    tag: 'audit',
    access: 'viewer',
    query: AuditQuerySchema,
    response: AuditPageSchema,
    async handler({ query }) {
      return registrar.app.audit.list({
        actor: query.actor,
        action: query.action,
        since: query.since ? new Date(query.since) : undefined,
        until: query.until ? new Date(query.until) : undefined,
        cursor: query.cursor,
        limit: query.limit,
      });
    },
  });
}
