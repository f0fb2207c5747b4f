// Runs before every route. Two jobs:
//  1. Same-origin API: /api/* is forwarded to the gateway, so the browser only ever talks to the
//     dashboard's origin and the gateway's cookies are first-party here. This is done here rather
//     than with `rewrites` in next.config.ts because those are frozen into the build, while the
//     gateway's address (LOVAGE_GATEWAY_URL) is a runtime setting (docker/compose.yaml sets it).
//  2. A cheap first gate: pages need a session cookie, otherwise /login?next=<where you wanted to go>.
//     Whether the session is valid is decided by the gateway (server components ask /auth/me).
import { NextResponse, type NextRequest } from 'next/server';
import { env } from '@/lib/env';
import { PATHNAME_HEADER, SESSION_COOKIE, loginPath } from '@/lib/auth-routing';

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
  return NextResponse.next({ request: { headers } });
}

export const config = {
  // Everything but Next's own assets and the icons browsers fetch on their own.
  matcher: ['/((?!_next/static|_next/image|favicon\\.ico|icon\\.svg|robots\\.txt).*)'],
};
