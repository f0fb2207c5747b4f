// POST /auth/login, POST /auth/logout, POST /auth/logout-everywhere, GET /auth/me,
// and the admin's view of locked-out sign-ins: GET /auth/lockouts, POST /auth/unlock.
import { ConflictError, NotFoundError, RateLimitedError, UnauthenticatedError } from '../errors.js';
import { defineRoute, type RouteRegistrar } from '../api/route.js';
import { LockoutListSchema, LoginBodySchema, MeResponseSchema, UnlockBodySchema, UserResponseSchema } from '../api/schemas.js';
import { addressKey } from './authenticate.js';
import { clearSessionCookies, SESSION_COOKIE, setSessionCookies } from './cookies.js';
import type { LoginRateLimiter } from './login-rate-limiter.js';
import { hashForUnknownUsers, verifyPassword } from './password.js';

/** Failed-login limits: one per email, one (looser) per client address. */
export interface LoginLimiters {
  email: LoginRateLimiter;
  ip: LoginRateLimiter;
}

const emailKey = (email: string): string => `email:${email}`;
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
        await deps.limiters.email.retryAfterSeconds(emailKey(body.email)),
        await deps.limiters.ip.retryAfterSeconds(addressKey(request.ip)),
      );
      if (retryAfter > 0) {
        await app.audit.record({ principal: null, actor: body.email, action: 'auth.login', outcome: 'denied', error: 'RATE_LIMITED', ip: request.ip });
        throw new RateLimitedError(`Too many failed logins; try again in ${retryAfter} s`, retryAfter);
      }
      const user = await prisma.user.findUnique({ where: { email: body.email } });
      // Unknown emails are checked against a dummy hash: the same scrypt work, the same answer.
      const matches = await verifyPassword(body.password, user?.passwordHash ?? (await hashForUnknownUsers(deps.passwordCost)));
      if (!user || !matches) {
        const [emailLocked, ipLocked] = await Promise.all([
          deps.limiters.email.recordFailure(emailKey(body.email)),
          deps.limiters.ip.recordFailure(addressKey(request.ip)),
        ]);
        for (const [locked, key] of [[emailLocked, emailKey(body.email)], [ipLocked, addressKey(request.ip)]] as const) {
          if (locked) await app.audit.record({ principal: null, actor: body.email, action: 'auth.lockout', target: key, outcome: 'ok', ip: request.ip });
        }
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
      await deps.limiters.email.reset(emailKey(body.email));

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
    method: 'POST',
    url: '/auth/logout-everywhere',
    summary: 'Sign out on every browser: deletes all of your sessions, this one included',
    tag: 'auth',
    access: 'viewer',
    action: 'auth.logout_everywhere',
    status: 204,
    async handler({ request, reply, principal }) {
      if (principal.kind !== 'session') throw new ConflictError('API tokens have no session to end; delete the token instead', 'NOT_A_SESSION');
      const ended = await deps.sessions.deleteForUser(principal.userId);
      clearSessionCookies(request, reply);
      await app.audit.record({ principal, action: 'auth.logout_everywhere', params: { sessions: ended }, outcome: 'ok', ip: request.ip });
      return undefined;
    },
  });

  defineRoute(registrar, {
    method: 'GET',
    url: '/auth/lockouts',
    summary: 'Emails and client addresses refused sign-in right now after too many failures',
    tag: 'auth',
    access: 'admin',
    response: LockoutListSchema,
    async handler() {
      const [emails, addresses] = await Promise.all([deps.limiters.email.lockedKeys('email:'), deps.limiters.ip.lockedKeys('ip:')]);
      const entry = (kind: 'email' | 'ip') => ({ key, retryAfterSeconds }: { key: string; retryAfterSeconds: number }) => ({
        kind,
        value: key.slice(kind.length + 1),
        retryAfterSeconds,
      });
      return { lockouts: [...emails.map(entry('email')), ...addresses.map(entry('ip'))] };
    },
  });

  defineRoute(registrar, {
    method: 'POST',
    url: '/auth/unlock',
    summary: 'Lets a locked-out email or client address sign in again at once',
    tag: 'auth',
    access: 'admin',
    action: 'auth.unlock',
    body: UnlockBodySchema,
    status: 204,
    async handler({ request, body, principal }) {
      const limiter = body.kind === 'email' ? deps.limiters.email : deps.limiters.ip;
      const key = body.kind === 'email' ? emailKey(body.value) : addressKey(body.value);
      if ((await limiter.reset(key)) === 0) throw new NotFoundError(`No failed sign-ins for ${body.kind} ${body.value}`);
      await app.audit.record({ principal, action: 'auth.unlock', target: key, outcome: 'ok', ip: request.ip });
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
