import { env } from './env';

export type GatewayHealth =
  { state: 'ok'; checkedAt: string } | { state: 'unreachable'; checkedAt: string; reason: string };

/** Asks the gateway's /healthz. Never throws: a gateway that is down is a state to show, not an error page. */
export async function fetchGatewayHealth(timeoutMs = 2_000): Promise<GatewayHealth> {
  const checkedAt = new Date().toISOString();
  const url = new URL('/healthz', env.LOVAGE_GATEWAY_URL);
  try {
    const response = await fetch(url, { cache: 'no-store', signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return { state: 'unreachable', checkedAt, reason: `HTTP ${response.status}` };
    const body: unknown = await response.json().catch(() => null);
    const status = typeof body === 'object' && body !== null && 'status' in body ? body.status : undefined;
    if (status !== undefined && status !== 'ok') {
      return { state: 'unreachable', checkedAt, reason: `status ${JSON.stringify(status)}` };
    }
    return { state: 'ok', checkedAt };
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'request failed';
    return { state: 'unreachable', checkedAt, reason };
  }
}
