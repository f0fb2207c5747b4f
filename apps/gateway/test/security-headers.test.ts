// Every gateway response carries the security headers: API answers and errors,
// /healthz, /metrics, unknown routes and socket.io's own HTTP transport. HSTS
// only when the request came over TLS.
import { postgresTest } from '@lovage/test-support/postgres';
import { describe, expect } from 'vitest';
import { HSTS_HEADER, SECURITY_HEADERS } from '../src/security/headers.js';
import { Client, signedIn, startGateway } from './support.js';

function expectSecurityHeaders(response: Response, where: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    expect({ where, name, value: response.headers.get(name) }).toEqual({ where, name, value });
  }
}

describe('security headers', () => {
  postgresTest('are on every kind of response, and the policy forbids framing', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      const admin = await signedIn(gateway, 'admin');
      const anonymous = new Client(gateway.url);
      const responses: [string, Response][] = [
        ['healthz', await anonymous.request('GET', '/healthz')],
        ['metrics', await anonymous.request('GET', '/metrics')],
        ['401', await anonymous.request('GET', '/api/v1/tasks')],
        ['404', await anonymous.request('GET', '/no/such/route')],
        ['400', await admin.request('GET', '/api/v1/tasks?limit=-3')],
        ['200 json', await admin.request('GET', '/api/v1/tasks')],
        ['login', await new Client(gateway.url).login('nobody@example.com', 'wrong-password-1')],
        ['socket.io polling', await fetch(`${gateway.url}/socket.io/?EIO=4&transport=polling`)],
      ];
      for (const [where, response] of responses) {
        expectSecurityHeaders(response, where);
        expect(response.headers.get(HSTS_HEADER.name)).toBeNull(); // plain HTTP
      }
      expect(SECURITY_HEADERS['content-security-policy']).toContain("frame-ancestors 'none'");
    } finally {
      await gateway.close();
    }
  });

  postgresTest('adds HSTS when a trusted proxy says the request came over TLS, and marks cookies Secure', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url, { security: { trustProxy: true } });
    try {
      const overTls = { 'x-forwarded-proto': 'https' };
      const health = await new Client(gateway.url).request('GET', '/healthz', { headers: overTls });
      expect(health.headers.get(HSTS_HEADER.name)).toBe(HSTS_HEADER.value);
      const socket = await fetch(`${gateway.url}/socket.io/?EIO=4&transport=polling`, { headers: overTls });
      expect(socket.headers.get(HSTS_HEADER.name)).toBe(HSTS_HEADER.value);
      const client = new Client(gateway.url);
      await client.request('POST', '/api/v1/auth/login', { body: { email: 'admin@example.com', password: 'admin-password-123' }, headers: overTls });
      expect(client.lastSetCookies.length).toBe(2);
      for (const cookie of client.lastSetCookies) expect(cookie).toMatch(/; Secure/);
    } finally {
      await gateway.close();
    }
  });
});
