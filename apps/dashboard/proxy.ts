// Runs before every route. Three jobs:
//  1. Same-origin API: /api/* is forwarded to the gateway, so the browser only ever talks to the
//     dashboard's origin and the gateway's cookies are first-party here. This is done here rather
//     than with `rewrites` in next.config.ts because those are frozen into the build, while the
//     gateway's address (LOVAGE_GATEWAY_URL) is a runtime setting (docker/compose.yaml sets it).
//  2. A cheap first gate: pages need a session cookie, otherwise /login?next=<where you wanted to go>.
//     Whether the session is valid is decided by the gateway (server components ask /auth/me).
//  3. Every page's Content-Security-Policy with a nonce of its own (lib/security-headers.ts). Next.js
//     reads the nonce from the request's policy and puts it on the scripts it renders; the pages
//     are rendered per request (app/layout.tsx), so every response has its own nonce.
import { NextResponse, type NextRequest } from 'next/server';
import { env, isDevelopment } from '@/lib/env';
import { PATHNAME_HEADER, SESSION_COOKIE, loginPath } from '@/lib/auth-routing';
import { HSTS, browserLocation, contentSecurityPolicy, newNonce } from '@/lib/security-headers';

const publicPaths = new Set(['/login']);

export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;

  if (pathname === '/api' || pathname.startsWith('/api/')) {
    return NextResponse.rewrite(new URL(`${pathname}${search}`, env.LOVAGE_GATEWAY_URL));
  }

  if (!publicPaths.has(pathname) && !request.cookies.has(SESSION_COOKIE)) {
    return NextResponse.redirect(new URL(loginPath(`${pathname}${search}`), request.url));
  }

  // Server components cannot see the URL they render for; they need it to send a user whose
  // session expired back to the same page after signing in.
  const headers = new Headers(request.headers);
  headers.set(PATHNAME_HEADER, `${pathname}${search}`);
  const browser = browserLocation(request.headers, request.nextUrl);
  const policy = contentSecurityPolicy(newNonce(), browser, isDevelopment);
  headers.set('content-security-policy', policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set('content-security-policy', policy);
  if (browser.protocol === 'https:') response.headers.set(HSTS.key, HSTS.value);
  return response;
}

export const config = {
  // Everything but Next's own assets and the icons browsers fetch on their own.
  matcher: ['/((?!_next/static|_next/image|favicon\\.ico|icon\\.svg|robots\\.txt).*)'],
};
