// Where the browser reaches the gateway directly (the live feed's socket.io connection), read by
// the socket and by the Content-Security-Policy that must allow exactly that origin.
import { clientEnv } from './client/env';

const defaultGatewayPort = '5555';

/** The gateway's public URL: NEXT_PUBLIC_LOVAGE_GATEWAY_URL, else this page's host on port 5555. */
export function gatewayPublicUrl(location: Pick<Location, 'protocol' | 'hostname'> = window.location): string {
  if (clientEnv.NEXT_PUBLIC_LOVAGE_GATEWAY_URL) return clientEnv.NEXT_PUBLIC_LOVAGE_GATEWAY_URL;
  const host = location.hostname.includes(':') ? `[${location.hostname}]` : location.hostname;
  return `${location.protocol}//${host}:${defaultGatewayPort}`;
}
