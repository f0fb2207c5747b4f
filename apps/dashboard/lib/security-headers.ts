// The dashboard's security headers. The pages are the one place a signed-in operator clicks
// Purge or Shutdown, so no other site may frame them (clickjacking), and no script may run but
// the dashboard's own: the Content-Security-Policy allows scripts only from this origin and with
// this response's nonce (Next.js puts it on the scripts it inlines), never 'unsafe-inline'.
// Styles keep 'unsafe-inline': React's style attributes (virtual list offsets, chart sizes) are
// inline styles, and a style cannot run code.
import { gatewayPublicUrl } from './gateway-url';

/** Headers every dashboard response carries, assets included (next.config.ts `headers`). */
export const STATIC_SECURITY_HEADERS: readonly { key: string; value: string }[] = [
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'same-origin' },
  { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
];

/** Sent only over TLS: a browser ignores it on plain HTTP, and it must never pin a plain-HTTP setup. */
export const HSTS = { key: 'Strict-Transport-Security', value: 'max-age=31536000; includeSubDomains' } as const;

/** A fresh nonce for one response: 128 random bits, base64. */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

/**
 * The policy of one page response. `page` is where the browser is (its protocol and host as it
 * asked for them): the live feed connects from there to the gateway's public address (another
 * port, so another origin), over WebSocket or HTTP long-polling. `development` allows what
 * `next dev` needs (eval for fast refresh).
 */
export function contentSecurityPolicy(nonce: string, page: Pick<Location, 'protocol' | 'hostname'>, development = false): string {
  const gateway = new URL(gatewayPublicUrl(page));
  const socket = `${gateway.protocol === 'https:' ? 'wss:' : 'ws:'}//${gateway.host}`;
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${development ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self' ${gateway.origin} ${socket}${development ? ' ws:' : ''}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Where the browser is, from the request: Next.js's own URL names the server's host
 * (`localhost`), not the one the browser asked for, so the Host header (or a proxy's
 * X-Forwarded-Host and -Proto) says it.
 */
export function browserLocation(headers: Headers, url: URL): Pick<Location, 'protocol' | 'hostname'> {
  const first = (name: string) => headers.get(name)?.split(',')[0]?.trim() || undefined;
  const proto = first('x-forwarded-proto') === 'https' || url.protocol === 'https:' ? 'https:' : 'http:';
  // The hostname of host[:port], IPv6 in brackets included; a header that is no host name is ignored.
  const hostnameOf = (host: string | undefined): string | undefined => {
    if (host === undefined) return undefined;
    try {
      return new URL(`http://${host}`).hostname.replace(/^\[(.*)\]$/, '$1');
    } catch {
      return undefined;
    }
  };
  return { protocol: proto, hostname: hostnameOf(first('x-forwarded-host')) ?? hostnameOf(first('host')) ?? url.hostname };
}
