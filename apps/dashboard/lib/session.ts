// Who is looking at this page, asked once per request of the gateway (/api/v1/auth/me).
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { cache } from 'react';
import { ApiError } from './api-error';
import { meResponseSchema, type User } from './api-types';
import { PATHNAME_HEADER, loginPath } from './auth-routing';
import { gatewayFetch } from './gateway-server';

export type Session =
  { state: 'signed-in'; user: User } | { state: 'signed-out' } | { state: 'unreachable'; reason: string };

/** Never throws: a gateway that is down is a state to show, not an error page. */
export const getSession = cache(async (): Promise<Session> => {
  let response: Response;
  try {
    response = await gatewayFetch('/api/v1/auth/me', { timeoutMs: 3_000 });
  } catch (error) {
    return { state: 'unreachable', reason: error instanceof ApiError ? error.message : 'request failed' };
  }
  if (response.status === 401) return { state: 'signed-out' };
  if (!response.ok) return { state: 'unreachable', reason: `The gateway answered HTTP ${response.status}.` };
  const parsed = meResponseSchema.safeParse(await response.json().catch(() => null));
  if (!parsed.success)
    return { state: 'unreachable', reason: 'The gateway sent an unexpected answer to /auth/me.' };
  return { state: 'signed-in', user: parsed.data.user };
});

/** Sends a signed-out visitor to the sign-in page, with a way back to the page they asked for. */
export async function redirectToLogin(): Promise<never> {
  const here = (await headers()).get(PATHNAME_HEADER) ?? '/';
  redirect(loginPath(here));
}

/**
 * The signed-in user, or a redirect to /login. `null` when the gateway cannot be asked: the
 * console layout shows that state instead of the page.
 */
export async function requireUser(): Promise<User | null> {
  const session = await getSession();
  if (session.state === 'signed-out') return redirectToLogin();
  return session.state === 'signed-in' ? session.user : null;
}
