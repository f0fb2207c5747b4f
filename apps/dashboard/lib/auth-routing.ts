// Names and URL rules shared by the proxy, the server components and the sign-in form.

/** The gateway's httpOnly session cookie. */
export const SESSION_COOKIE = 'lovage_session';
/** The gateway's JS-readable double-submit CSRF cookie; its value goes in CSRF_HEADER. */
export const CSRF_COOKIE = 'lovage_csrf';
export const CSRF_HEADER = 'x-csrf-token';
/** Set by the proxy on every page request: the path and query being rendered. */
export const PATHNAME_HEADER = 'x-lovage-pathname';

/**
 * Where to go after signing in. Only same-origin paths are allowed: `?next=//evil.example` or
 * `?next=https://…` would otherwise turn the sign-in page into an open redirect.
 */
export function safeNextPath(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  if (next === '/login' || next.startsWith('/login?') || next.startsWith('/api/')) return '/';
  return next;
}

/** The sign-in page's URL that returns to `next` afterwards (`/login` alone for the overview). */
export function loginPath(next: string): string {
  const target = safeNextPath(next);
  // Slashes are legal in a query string; keeping them makes the address readable (?next=/tasks).
  return target === '/' ? '/login' : `/login?next=${encodeURIComponent(target).replaceAll('%2F', '/')}`;
}
