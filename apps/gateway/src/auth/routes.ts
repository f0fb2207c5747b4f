// POST /auth/login, POST /auth/logout, GET /auth/me.
import { ConflictError, RateLimitedError, UnauthenticatedError } from '../errors.js';
import { defineRoute, type RouteRegistrar } from '../api/route.js';
import { LoginBodySchema, MeResponseSchema, UserResponseSchema } from '../api/schemas.js';
import { clearSessionCookies, SESSION_COOKIE, setSessionCookies } from './cookies.js';
import type { LoginRateLimiter } from './login-rate-limiter.js';

/** Failed-login limits: one per email, one (looser) per client address. */
export interface LoginLimiters {
  email: LoginRateLimiter;
  ip: LoginRateLimiter;
}
import { hashForUnknownUsers, verifyPassword } from './password.js';
import { randomSecret } from './secrets.js';
import type { SessionStore } from './session-store.js';

export interface AuthRouteDeps {
  sessions: SessionStore;
  limiters: LoginLimiters;
  passwordCost: number;
}

export function registerAuthRoutes(registrar: RouteRegistrar, deps: AuthRouteDeps): void {
  const { app } = registrar;
  const prisma = app.database.prisma;

  defineRoute(registrar, {
    method: 'POST',
    url: '/auth/login',
    summary: 'Sign in with email and password; sets the lovage_session and lovage_csrf cookies',
    tag: 'auth',
    access: 'public',
    body: LoginBodySchema,
    response: UserResponseSchema,
    async handler({ request, reply, body }) {
      const retryAfter = Math.max(
        deps.limiters.email.retryAfterSeconds([body.email]),
        deps.limiters.ip.retryAfterSeconds([request.ip]),
      );
      if (retryAfter > 0) {
        await app.audit.record({ principal: null, actor: body.email, action: 'auth.login', outcome: 'denied', error: 'RATE_LIMITED', ip: request.ip });
        throw new RateLimitedError(`Too many failed logins; try again in ${retryAfter} s`, retryAfter);
      }
      const user = await prisma.user.findUnique({ where: { email: body.email } });
      // Unknown emails are checked against a dummy hash: the same scrypt work, the same answer.
      const matches = await verifyPassword(body.password, user?.passwordHash ?? (await hashForUnknownUsers(deps.passwordCost)));
      if (!user || !matches) {
        deps.limiters.email.recordFailure([body.email]);
        deps.limiters.ip.recordFailure([request.ip]);
        await app.audit.record({
          principal: null,
          actor: body.email,
          action: 'auth.login',
          outcome: 'failed',
          error: 'INVALID_CREDENTIALS',
          ip: request.ip,
        });
        throw new UnauthenticatedError('Email or password is incorrect', 'INVALID_CREDENTIALS');
      }
      deps.limiters.email.reset(body.email);

      // A fresh session id at every login: a session fixed by someone else before login is dropped.
      const previous = request.cookies[SESSION_COOKIE];
      if (previous) {
        const old = await deps.sessions.resolve(previous);
        if (old) await deps.sessions.delete(old.id);
      }
      const session = await deps.sessions.create(user.id, { ip: request.ip, userAgent: request.headers['user-agent'] ?? null });
      setSessionCookies(request, reply, {
        session: session.secret,
        csrf: randomSecret(24),
        maxAgeSeconds: Math.floor(deps.sessions.lifetimeMs / 1000),
      });
      await app.audit.record({
        principal: { kind: 'session', userId: user.id, email: user.email, role: user.role, sessionId: session.id },
        action: 'auth.login',
        outcome: 'ok',
        ip: request.ip,
      });
      return { user: { id: user.id, email: user.email, role: user.role } };
    },
  });

  defineRoute(registrar, {
    method: 'POST',
    url: '/auth/logout',
    summary: 'Sign out: deletes the session and clears the cookies',
    tag: 'auth',
    access: 'viewer',
    action: 'auth.logout',
    status: 204,
    async handler({ request, reply, principal }) {
      if (principal.kind !== 'session') throw new ConflictError('API tokens have no session to end; delete the token instead', 'NOT_A_SESSION');
      await deps.sessions.delete(principal.sessionId);
      clearSessionCookies(request, reply);
      await app.audit.record({ principal, action: 'auth.logout', outcome: 'ok', ip: request.ip });
      return undefined;
    },
  });

  defineRoute(registrar, {
    method: 'GET',
    url: '/auth/me',
    summary: 'The signed-in user (or, for an API token, its owner with the token\'s role)',
    tag: 'auth',
    access: 'viewer',
    response: MeResponseSchema,
    handler({ principal }) {
      if (principal.kind === 'session') return Promise.resolve({ user: { id: principal.userId, email: principal.email, role: principal.role } });
      return Promise.resolve({
        user: { id: principal.userId ?? principal.tokenId, email: principal.userEmail ?? `token:${principal.name}`, role: principal.role },
        token: { id: principal.tokenId, name: principal.name },
      });
    },
  });
}
