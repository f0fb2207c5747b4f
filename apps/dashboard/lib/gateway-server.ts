// Server components' way to the gateway: straight to LOVAGE_GATEWAY_URL, forwarding the
// visitor's cookies so the gateway authenticates the request as that visitor.
import { headers } from 'next/headers';
import { ApiError, apiErrorFrom } from './api-error';
import { env } from './env';

export async function gatewayFetch(path: string, init: { timeoutMs?: number } = {}): Promise<Response> {
  // The raw header, byte for byte: re-serialising parsed cookies could change their encoding.
  const cookieHeader = (await headers()).get('cookie');
  try {
    return await fetch(new URL(path, env.LOVAGE_GATEWAY_URL), {
      headers: { accept: 'application/json', ...(cookieHeader ? { cookie: cookieHeader } : {}) },
      cache: 'no-store',
      signal: AbortSignal.timeout(init.timeoutMs ?? 5_000),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'request failed';
    throw new ApiError(0, 'GATEWAY_UNREACHABLE', `The gateway did not answer: ${reason}`);
  }
}

/** GETs JSON from the gateway as the visitor; throws ApiError (status 0 when unreachable). */
export async function gatewayGet<T>(path: string): Promise<T> {
  const response = await gatewayFetch(path);
  if (!response.ok) throw await apiErrorFrom(response);
  return (await response.json()) as T;
}
