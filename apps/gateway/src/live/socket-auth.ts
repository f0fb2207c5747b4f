// Who opens a live-feed socket: the same credentials as the REST API. A browser
// sends the session cookie with the handshake; a script sends its API token as
// `auth: { token }` or an Authorization header. The handshake's Origin, when a
// browser sends one, must be the gateway's or the dashboard's, so a page on
// another site cannot open a socket riding on the user's cookie.
import type { IncomingHttpHeaders } from 'node:http';
import type { PrismaClient } from '../generated/prisma/client.js';
import { SESSION_COOKIE } from '../auth/cookies.js';
import { tokenPrincipal } from '../auth/authenticate.js';
import type { Principal } from '../auth/principal.js';
import { API_TOKEN_PREFIX, hashSecret } from '../auth/secrets.js';
import type { SessionStore } from '../auth/session-store.js';

export interface SocketCredentials {
  principal: Principal;
  /** The session cookie's secret, to check the session is still alive later. */
  sessionSecret: string | null;
  /** The token id, to check it is still valid later. */
  tokenId: string | null;
}

export class SocketAuthError extends Error {
  constructor(readonly code: 'UNAUTHENTICATED' | 'INVALID_TOKEN' | 'TOKEN_EXPIRED' | 'ORIGIN_FORBIDDEN' | 'SCOPE_MISSING', message: string) {
    super(message);
    this.name = 'SocketAuthError';
  }
}

export interface SocketAuthDeps {
  prisma: PrismaClient;
  sessions: SessionStore;
  /** Origins allowed besides the gateway's own (the dashboard's). */
  allowedOrigins: ReadonlySet<string>;
  parseCookie(header: string): Record<string, string | undefined>;
}

export interface Handshake {
  headers: IncomingHttpHeaders;
  auth: Record<string, unknown>;
  secure: boolean;
}

function ownOrigins(headers: IncomingHttpHeaders, secure: boolean): string[] {
  const host = headers.host;
  if (!host) return [];
  return [`${secure ? 'https' : 'http'}://${host}`];
}

async function fromToken(prisma: PrismaClient, token: string): Promise<SocketCredentials> {
  if (!token.startsWith(API_TOKEN_PREFIX) || token.length > 200) throw new SocketAuthError('INVALID_TOKEN', 'Invalid API token');
  const row = await prisma.apiToken.findUnique({ where: { tokenHash: hashSecret(token) }, include: { user: { select: { email: true } } } });
  if (!row || row.revokedAt) throw new SocketAuthError('INVALID_TOKEN', 'Invalid API token');
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) throw new SocketAuthError('TOKEN_EXPIRED', 'This API token has expired');
  // The live feed only reads: a token without the read scope (one that may only retry, say) is refused.
  if (!row.scopes.includes('read')) throw new SocketAuthError('SCOPE_MISSING', 'This API token lacks the read scope the live feed needs');
  return {
    principal: tokenPrincipal(row),
    sessionSecret: null,
    tokenId: row.id,
  };
}

export async function authenticateHandshake(handshake: Handshake, deps: SocketAuthDeps): Promise<SocketCredentials> {
  const origin = handshake.headers.origin;
  if (origin !== undefined && !deps.allowedOrigins.has(origin) && !ownOrigins(handshake.headers, handshake.secure).includes(origin)) {
    throw new SocketAuthError('ORIGIN_FORBIDDEN', `Connections from origin ${origin} are not allowed`);
  }
  const authToken = typeof handshake.auth.token === 'string' ? handshake.auth.token : undefined;
  const header = handshake.headers.authorization;
  if (authToken !== undefined) return fromToken(deps.prisma, authToken);
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw new SocketAuthError('INVALID_TOKEN', 'Authorization must be "Bearer <token>"');
    return fromToken(deps.prisma, match[1]);
  }
  const cookies = handshake.headers.cookie ? deps.parseCookie(handshake.headers.cookie) : {};
  const secret = cookies[SESSION_COOKIE];
  if (secret) {
    const session = await deps.sessions.resolve(secret);
    if (session) {
      return {
        principal: { kind: 'session', userId: session.userId, email: session.email, role: session.role, sessionId: session.id },
        sessionSecret: secret,
        tokenId: null,
      };
    }
  }
  throw new SocketAuthError('UNAUTHENTICATED', 'Authentication required');
}

/** Whether credentials accepted at connect time still hold (sign-out, expiry, token revoked). */
export async function stillValid(credentials: SocketCredentials, deps: SocketAuthDeps): Promise<boolean> {
  if (credentials.sessionSecret) return (await deps.sessions.resolve(credentials.sessionSecret)) !== null;
  if (credentials.tokenId) {
    const row = await deps.prisma.apiToken.findUnique({ where: { id: credentials.tokenId }, select: { revokedAt: true, expiresAt: true } });
    return row !== null && row.revokedAt === null && (row.expiresAt === null || row.expiresAt.getTime() > Date.now());
  }
  return false;
}
