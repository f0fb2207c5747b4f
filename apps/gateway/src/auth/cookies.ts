// The two cookies of a browser session:
//   lovage_session  the session secret; httpOnly so scripts never see it.
//   lovage_csrf     the double-submit token; readable by the dashboard's script,
//                   which echoes it in the x-csrf-token header. A cross-site page
//                   can make the browser send cookies, but cannot read them.
// Both SameSite=Lax, and Secure when the request came over TLS (directly, or per
// X-Forwarded-Proto from a trusted proxy).
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'lovage_session';
export const CSRF_COOKIE = 'lovage_csrf';
export const CSRF_HEADER = 'x-csrf-token';

function baseOptions(request: FastifyRequest) {
  return { path: '/', sameSite: 'lax' as const, secure: request.protocol === 'https' };
}

export function setSessionCookies(
  request: FastifyRequest,
  reply: FastifyReply,
  cookies: { session: string; csrf?: string | undefined; maxAgeSeconds: number },
): void {
  const options = { ...baseOptions(request), maxAge: cookies.maxAgeSeconds };
  reply.setCookie(SESSION_COOKIE, cookies.session, { ...options, httpOnly: true });
  if (cookies.csrf !== undefined) reply.setCookie(CSRF_COOKIE, cookies.csrf, { ...options, httpOnly: false });
}

export function clearSessionCookies(request: FastifyRequest, reply: FastifyReply): void {
  const options = baseOptions(request);
  reply.clearCookie(SESSION_COOKIE, { ...options, httpOnly: true });
  reply.clearCookie(CSRF_COOKIE, { ...options, httpOnly: false });
}
