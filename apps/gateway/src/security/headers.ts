// Security headers on every response the gateway sends: API answers, errors,
// /healthz, /metrics and the socket.io transport alike. The gateway serves JSON
// and text only, never a page, so its policy forbids everything a page could
// load and, above all, being framed: a signed-in operator must not be tricked
// into clicking Purge or Shutdown inside someone else's page (clickjacking).
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';

/** Headers every response carries. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
};

/** Sent only over TLS: a browser ignores it on plain HTTP, and it must never pin a plain-HTTP dev setup. */
export const HSTS_HEADER = { name: 'strict-transport-security', value: 'max-age=31536000; includeSubDomains' } as const;

/** Adds the headers to every Fastify reply; HSTS when the request came over TLS (directly or per a trusted proxy). */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply) => {
    reply.headers(SECURITY_HEADERS);
    if (request.protocol === 'https') reply.header(HSTS_HEADER.name, HSTS_HEADER.value);
  });
}

/**
 * The same headers for responses Fastify never sees (socket.io's own HTTP
 * transport). `trustProxy` mirrors the gateway's setting for reading
 * X-Forwarded-Proto.
 */
export function addSecurityHeaders(headers: Record<string, string | string[] | number>, request: IncomingMessage, trustProxy: boolean): void {
  Object.assign(headers, SECURITY_HEADERS);
  const forwarded = trustProxy ? String(request.headers['x-forwarded-proto'] ?? '').split(',')[0]?.trim() : undefined;
  const encrypted = 'encrypted' in request.socket && request.socket.encrypted === true;
  if (encrypted || forwarded === 'https') headers[HSTS_HEADER.name] = HSTS_HEADER.value;
}
