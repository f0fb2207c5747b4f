// Runs on every /api request before routing to a handler: finds the caller
// (bearer token or session cookie), refuses anonymous requests to protected
// routes, and guards browser sessions against cross-site requests:
//   - a state-changing request whose Origin header is present and not one of
//     ours (the gateway itself, the dashboard) is refused;
//   - a state-changing request authenticated by the session cookie must carry
//     x-csrf-token equal to the lovage_csrf cookie (double submit).
// Bearer requests skip both: browsers never attach an Authorization header on
// their own, so a forged cross-site request cannot carry one. A bearer token
// that is not a live token counts as a failed sign-in of the client address
// (the login limiter's `ip:` key, shared by every gateway): once the address
// is locked out, its unknown tokens answer 429, and the lockout is audited. A
// valid token costs no extra query.
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { PrismaClient } from '../generated/prisma/client.js';
import { ForbiddenError, RateLimitedError, UnauthenticatedError } from '../errors.js';
import { CSRF_COOKIE, CSRF_HEADER, setSessionCookies, SESSION_COOKIE } from './cookies.js';
import type { Role } from '../api/schemas.js';
import { roleAllows, type TokenPrincipal } from './principal.js';
import { requiredScope, type TokenScope } from './scopes.js';
import { API_TOKEN_PREFIX, hashSecret, randomSecret, safeEqual } from './secrets.js';
import type { LoginRateLimiter } from './login-rate-limiter.js';
import type { SessionStore } from './session-store.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** lastUsedAt is written at most this often per token. */
const TOKEN_TOUCH_INTERVAL_MS = 60_000;

export interface AuthenticateOptions {
  prisma: PrismaClient;
  sessions: SessionStore;
  /** Origins allowed to send state-changing requests besides the gateway's own. */
  allowedOrigins: string[];
  /** The login limiter per client address, which unknown bearer tokens count against too. */
  addressLimiter?: LoginRateLimiter;
}

/** The limiter key of a client address (the login route's `ip:` key). */
export const addressKey = (ip: string): string => `ip:${ip}`;

export function isStateChanging(request: FastifyRequest): boolean {
  return !SAFE_METHODS.has(request.method);
}

function ownOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

async function fromBearer(prisma: PrismaClient, token: string): Promise<TokenPrincipal> {
  if (!token.startsWith(API_TOKEN_PREFIX) || token.length > 200) throw new UnauthenticatedError('Invalid API token', 'INVALID_TOKEN');
  const row = await prisma.apiToken.findUnique({
    where: { tokenHash: hashSecret(token) },
    include: { user: { select: { email: true } } },
  });
  const now = Date.now();
  if (!row || row.revokedAt) throw new UnauthenticatedError('Invalid API token', 'INVALID_TOKEN');
  if (row.expiresAt && row.expiresAt.getTime() <= now) throw new UnauthenticatedError('This API token has expired', 'TOKEN_EXPIRED');
  if (!row.lastUsedAt || row.lastUsedAt.getTime() < now - TOKEN_TOUCH_INTERVAL_MS) {
    await prisma.apiToken.updateMany({ where: { id: row.id }, data: { lastUsedAt: new Date(now) } });
  }
  return tokenPrincipal(row);
}

/** The principal of a valid token row (shared with the live feed's handshake). */
export function tokenPrincipal(row: { id: string; name: string; role: Role; scopes: TokenScope[]; userId: string | null; user: { email: string } | null }): TokenPrincipal {
  return { kind: 'token', tokenId: row.id, name: row.name, role: row.role, scopes: row.scopes, userId: row.userId, userEmail: row.user?.email ?? null };
}

/**
 * Refuses a token request outside the token's scopes (403 SCOPE_MISSING); a
 * refused state-changing request is audited like a missing role.
 */
async function checkScope(request: FastifyRequest, principal: TokenPrincipal): Promise<void> {
  const access = request.routeOptions.config.access ?? 'viewer';
  // A token whose role cannot use the route at all hears that from the role check, which names the role.
  if (access !== 'public' && !roleAllows(principal.role, access)) return;
  const scope = requiredScope(request.method, request.routeOptions.url ?? request.url, access);
  if (principal.scopes.includes(scope)) return;
  if (isStateChanging(request)) {
    await request.server.audit.record({
      principal,
      action: request.routeOptions.config.action ?? `${request.method} ${request.routeOptions.url ?? request.url}`,
      target: request.url,
      outcome: 'denied',
      error: 'SCOPE_MISSING',
      ip: request.ip,
    });
  }
  throw new ForbiddenError(`This API token lacks the ${scope} scope (it has ${principal.scopes.join(', ') || 'none'})`, 'SCOPE_MISSING');
}

/** Counts an unknown token against the client address, then answers 401, or 429 once the address is locked out. */
async function refuseUnknownToken(request: FastifyRequest, limiter: LoginRateLimiter | undefined, error: unknown): Promise<never> {
  if (!(error instanceof UnauthenticatedError) || !limiter) throw error;
  const key = addressKey(request.ip);
  const retryAfter = await limiter.retryAfterSeconds(key);
  if (retryAfter > 0) throw new RateLimitedError(`Too many unknown tokens from this address; try again in ${retryAfter} s`, retryAfter);
  if (await limiter.recordFailure(key)) {
    await request.server.audit.record({ principal: null, actor: 'unknown API token', action: 'auth.lockout', target: key, outcome: 'ok', ip: request.ip });
  }
  throw error;
}

export function authenticate(options: AuthenticateOptions): onRequestAsyncHookHandler {
  const allowed = new Set(options.allowedOrigins.map((url) => new URL(url).origin));
  return async function authenticateRequest(request, reply) {
    const stateChanging = isStateChanging(request);
    const authorization = request.headers.authorization;
    const isPublic = request.routeOptions.config.access === 'public';

    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (!match?.[1]) throw new UnauthenticatedError('Authorization must be "Bearer <token>"', 'INVALID_TOKEN');
      const principal = await fromBearer(options.prisma, match[1]).catch((error: unknown) => refuseUnknownToken(request, options.addressLimiter, error));
      request.principal = principal;
      await checkScope(request, principal);
      return;
    }

    if (stateChanging) {
      const origin = request.headers.origin;
      if (origin !== undefined && origin !== ownOrigin(request) && !allowed.has(origin)) {
        throw new ForbiddenError(`Requests from origin ${origin} are not allowed`, 'ORIGIN_FORBIDDEN');
      }
    }

    const secret = request.cookies[SESSION_COOKIE];
    if (secret) {
      const session = await options.sessions.resolve(secret);
      if (session) {
        request.principal = { kind: 'session', userId: session.userId, email: session.email, role: session.role, sessionId: session.id };
        // Renewal re-sends both cookies with the new lifetime, so the CSRF cookie never expires before the
        // session; a CSRF cookie that went missing is re-issued (the next state-changing request can then pass).
        const csrf = request.cookies[CSRF_COOKIE];
        if (session.renewed || !csrf) {
          setSessionCookies(request, reply, {
            session: secret,
            csrf: csrf ?? randomSecret(24),
            maxAgeSeconds: Math.floor((session.expiresAt.getTime() - Date.now()) / 1000),
          });
        }
      }
    }

    if (!request.principal) {
      if (isPublic) return;
      throw new UnauthenticatedError();
    }
    // Login (the one public route) replaces the session, so a stale cookie needs no CSRF token there.
    if (stateChanging && !isPublic) {
      const cookie = request.cookies[CSRF_COOKIE];
      const header = request.headers[CSRF_HEADER];
      if (!cookie || typeof header !== 'string' || !safeEqual(cookie, header)) {
        throw new ForbiddenError(`State-changing requests need the ${CSRF_HEADER} header equal to the ${CSRF_COOKIE} cookie`, 'CSRF_FAILED');
      }
    }
  };
}
