// /users: admins manage accounts; everyone may change their own password.
import type { Prisma, User as UserRow } from '../generated/prisma/client.js';
import { ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError } from '../errors.js';
import { hashPassword, verifyPassword } from '../auth/password.js';
import { roleAllows } from '../auth/principal.js';
import type { SessionStore } from '../auth/session-store.js';
import { decodeCursor, pageOf, UUID_ID } from './pagination.js';
import { defineRoute, type RouteRegistrar } from './route.js';
import {
  CreateUserBodySchema,
  IdParamsSchema,
  PageQuerySchema,
  UpdateUserBodySchema,
  UserDetailResponseSchema,
  UserListSchema,
  type UserDetail,
} from './schemas.js';

function toUserDetail(row: UserRow): UserDetail {
  return { id: row.id, email: row.email, role: row.role, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
}

/** Locks the admin rows, so two concurrent demotions or deletions cannot remove the last admin between them. */
async function assertAnotherAdmin(tx: Prisma.TransactionClient, userId: string): Promise<void> {
  const admins = await tx.$queryRaw<{ id: string }[]>`SELECT id::text AS id FROM users WHERE role = 'admin' FOR UPDATE`;
  if (!admins.some((admin) => admin.id !== userId)) {
    throw new ConflictError('This is the last admin; make someone else admin first', 'LAST_ADMIN');
  }
}

export function registerUserRoutes(registrar: RouteRegistrar, deps: { sessions: SessionStore; passwordCost: number }): void {
  const { app } = registrar;
  const prisma = app.database.prisma;

  defineRoute(registrar, {
    method: 'GET',
    url: '/users',
    summary: 'List users, oldest first',
    tag: 'users',
    access: 'admin',
    query: PageQuerySchema,
    response: UserListSchema,
    async handler({ query }) {
      const after = query.cursor ? decodeCursor(query.cursor, UUID_ID) : undefined;
      const rows = await prisma.user.findMany({
        where: after ? { OR: [{ createdAt: { gt: after.at } }, { createdAt: after.at, id: { gt: after.id } }] } : {},
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        take: query.limit + 1,
      });
      const page = pageOf(rows, query.limit, (row) => ({ at: row.createdAt, id: row.id }));
      return { users: page.rows.map(toUserDetail), nextCursor: page.nextCursor };
    },
  });

  defineRoute(registrar, {
    method: 'POST',
    url: '/users',
    summary: 'Create a user',
    tag: 'users',
    access: 'admin',
    action: 'user.create',
    body: CreateUserBodySchema,
    status: 201,
    response: UserDetailResponseSchema,
    async handler({ request, body, principal }) {
      let row: UserRow;
      try {
        row = await prisma.user.create({ data: { email: body.email, role: body.role, passwordHash: await hashPassword(body.password, deps.passwordCost) } });
      } catch (error) {
        if ((error as { code?: string }).code === 'P2002') throw new ConflictError(`A user with email ${body.email} exists`, 'EMAIL_TAKEN', 'email');
        throw error;
      }
      await app.audit.record({ principal, action: 'user.create', target: row.id, params: { email: row.email, role: row.role }, outcome: 'ok', ip: request.ip });
      return { user: toUserDetail(row) };
    },
  });

  defineRoute(registrar, {
    method: 'PATCH',
    url: '/users/:id',
    summary: 'Change a user\'s role (admin) or password (admin, or yourself with currentPassword)',
    tag: 'users',
    access: 'viewer',
    action: 'user.update',
    params: IdParamsSchema,
    body: UpdateUserBodySchema,
    response: UserDetailResponseSchema,
    async handler({ request, params, body, principal }) {
      const isAdmin = roleAllows(principal.role, 'admin');
      const isSelf = principal.kind === 'session' && principal.userId === params.id;
      if (!isAdmin) {
        if (!isSelf) throw new ForbiddenError('Only admins change other users');
        if (body.role !== undefined) throw new ForbiddenError('Only admins change roles');
      }
      const existing = await prisma.user.findUnique({ where: { id: params.id } });
      if (!existing) throw new NotFoundError(`No user ${params.id}`);
      if (isSelf && body.password !== undefined && !isAdmin) {
        if (body.currentPassword === undefined || !(await verifyPassword(body.currentPassword, existing.passwordHash))) {
          throw new UnauthenticatedError('currentPassword is incorrect', 'INVALID_CREDENTIALS');
        }
      }
      const passwordHash = body.password === undefined ? undefined : await hashPassword(body.password, deps.passwordCost);
      const row = await prisma.$transaction(async (tx) => {
        if (existing.role === 'admin' && body.role !== undefined && body.role !== 'admin') await assertAnotherAdmin(tx, existing.id);
        return tx.user.update({
          where: { id: params.id },
          data: { ...(body.role === undefined ? {} : { role: body.role }), ...(passwordHash === undefined ? {} : { passwordHash, passwordGenerated: false }) },
        });
      });
      // A new password or role ends the user's other sessions, which may hold the old trust.
      if (passwordHash !== undefined || (body.role !== undefined && body.role !== existing.role)) {
        await deps.sessions.deleteForUser(row.id, principal.kind === 'session' ? principal.sessionId : undefined);
      }
      await app.audit.record({
        principal,
        action: 'user.update',
        target: row.id,
        params: { email: row.email, ...(body.role === undefined ? {} : { role: body.role, previousRole: existing.role }), passwordChanged: passwordHash !== undefined },
        outcome: 'ok',
        ip: request.ip,
      });
      return { user: toUserDetail(row) };
    },
  });

  defineRoute(registrar, {
    method: 'DELETE',
    url: '/users/:id',
    summary: 'Delete a user (not yourself, not the last admin); their sessions and tokens go too',
    tag: 'users',
    access: 'admin',
    action: 'user.delete',
    params: IdParamsSchema,
    status: 204,
    async handler({ request, params, principal }) {
      const selfId = principal.kind === 'session' ? principal.userId : principal.userId;
      if (selfId === params.id) throw new ConflictError('You cannot delete yourself', 'CANNOT_DELETE_SELF');
      const deleted = await prisma.$transaction(async (tx) => {
        const existing = await tx.user.findUnique({ where: { id: params.id } });
        if (!existing) throw new NotFoundError(`No user ${params.id}`);
        if (existing.role === 'admin') await assertAnotherAdmin(tx, existing.id);
        await tx.user.delete({ where: { id: params.id } });
        return existing;
      });
      await app.audit.record({ principal, action: 'user.delete', target: deleted.id, params: { email: deleted.email, role: deleted.role }, outcome: 'ok', ip: request.ip });
      return undefined;
    },
  });
}
