// /tokens: API bearer tokens. The secret is returned once, at creation; the
// database keeps only its sha256, so it can never be shown again.
import type { ApiToken as TokenRow } from '../generated/prisma/client.js';
import { NotFoundError } from '../errors.js';
import { hashSecret, newApiToken } from '../auth/secrets.js';
import { decodeCursor, pageOf, UUID_ID } from './pagination.js';
import { defineRoute, type RouteRegistrar } from './route.js';
import { ApiTokenListSchema, CreatedTokenSchema, CreateTokenBodySchema, IdParamsSchema, PageQuerySchema, type ApiToken } from './schemas.js';

function toApiToken(row: TokenRow & { user: { email: string } | null }): ApiToken {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    scopes: row.scopes,
    createdBy: row.user?.email ?? null,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}

export function registerTokenRoutes(registrar: RouteRegistrar): void {
  const { app } = registrar;
  const prisma = app.database.prisma;
  const withUser = { user: { select: { email: true } } } as const;

  defineRoute(registrar, {
    method: 'GET',
    url: '/tokens',
    summary: 'List API tokens that are not revoked, newest first (never the secrets)',
    tag: 'tokens',
    access: 'admin',
    query: PageQuerySchema,
    response: ApiTokenListSchema,
    async handler({ query }) {
      const before = query.cursor ? decodeCursor(query.cursor, UUID_ID) : undefined;
      const rows = await prisma.apiToken.findMany({
        where: {
          revokedAt: null,
          ...(before ? { OR: [{ createdAt: { lt: before.at } }, { createdAt: before.at, id: { lt: before.id } }] } : {}),
        },
        include: withUser,
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: query.limit + 1,
      });
      const page = pageOf(rows, query.limit, (row) => ({ at: row.createdAt, id: row.id }));
      return { tokens: page.rows.map(toApiToken), nextCursor: page.nextCursor };
    },
  });

  defineRoute(registrar, {
    method: 'POST',
    url: '/tokens',
    summary: 'Create an API token; the response holds the secret, shown this once',
    tag: 'tokens',
    access: 'admin',
    action: 'token.create',
    body: CreateTokenBodySchema,
    status: 201,
    response: CreatedTokenSchema,
    async handler({ request, body, principal }) {
      const token = newApiToken();
      const row = await prisma.apiToken.create({
        data: {
          name: body.name,
          role: body.role,
          scopes: body.scopes,
          tokenHash: hashSecret(token),
          userId: principal.kind === 'session' ? principal.userId : principal.userId,
          expiresAt: body.expiresAt ? new Date(body.expiresAt) : null,
        },
        include: withUser,
      });
      await app.audit.record({
        principal,
        action: 'token.create',
        target: row.id,
        params: { name: row.name, role: row.role, scopes: row.scopes, expiresAt: row.expiresAt?.toISOString() ?? null },
        outcome: 'ok',
        ip: request.ip,
      });
      return { ...toApiToken(row), token };
    },
  });

  defineRoute(registrar, {
    method: 'DELETE',
    url: '/tokens/:id',
    summary: 'Revoke an API token (it stops working at once)',
    tag: 'tokens',
    access: 'admin',
    action: 'token.delete',
    params: IdParamsSchema,
    status: 204,
    async handler({ request, params, principal }) {
      const result = await prisma.apiToken.updateMany({ where: { id: params.id, revokedAt: null }, data: { revokedAt: new Date() } });
      if (result.count === 0) throw new NotFoundError(`No API token ${params.id}`);
      await app.audit.record({ principal, action: 'token.delete', target: params.id, outcome: 'ok', ip: request.ip });
      return undefined;
    },
  });
}
