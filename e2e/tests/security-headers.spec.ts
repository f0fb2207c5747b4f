// The dashboard's own security headers (the gateway's are tested in apps/gateway): no other site
// may frame it, and no script may run on it but its own, each page with a nonce of its own.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test, type APIResponse } from '@playwright/test';
import { pages } from './pages.js';

function expectStaticHeaders(response: APIResponse): void {
  const headers = response.headers();
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('same-origin');
}

/** The policy of a page response, checked for what matters; returns its nonce. */
function expectPagePolicy(response: APIResponse): string {
  expectStaticHeaders(response);
  const policy = response.headers()['content-security-policy'] ?? '';
  const directives = new Map(policy.split(';').map((part) => {
    const [name = '', ...values] = part.trim().split(/\s+/);
    return [name, values] as const;
  }));
  expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
  const scripts = directives.get('script-src') ?? [];
  expect(scripts).not.toContain("'unsafe-inline'");
  expect(scripts).not.toContain("'unsafe-eval'");
  const nonce = scripts.find((value) => value.startsWith("'nonce-"));
  expect(nonce, `script-src ${scripts.join(' ')}`).toBeDefined();
  return nonce!;
}

test('every page and asset carries the security headers, each page with a nonce of its own', async ({ request, playwright, baseURL }) => {
  // Signed out: the test runner would otherwise hand this context the admin's saved session.
  const anonymous = await playwright.request.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  try {
    const nonces = new Set<string>();
    let html = '';
    for (const { path } of pages) {
      const response = await request.get(path, { maxRedirects: 0 });
      expect(response.status(), path).toBe(200);
      nonces.add(expectPagePolicy(response));
      html = await response.text();
    }
    // Every script tag of a page carries that page's nonce, and its assets have the headers too.
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.filter((tag) => !/\snonce="/.test(tag))).toEqual([]);
    const asset = /<script[^>]*\ssrc="(\/_next\/static\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    expectStaticHeaders(await request.get(asset!));

    // Signed out: the sign-in page has its policy too, and a page answers with a redirect to it.
    const login = await anonymous.get('/login', { maxRedirects: 0 });
    expect(login.status()).toBe(200);
    nonces.add(expectPagePolicy(login));
    expect(nonces.size).toBe(pages.length + 1);
    const redirect = await anonymous.get('/tasks', { maxRedirects: 0 });
    expect(redirect.status()).toBe(307);
    expectStaticHeaders(redirect);
  } finally {
    await anonymous.dispose();
  }
});

test('no page breaks its own policy, and the live feed connects under it', async ({ page }) => {
  test.setTimeout(pages.length * 15_000);
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (event) => seen.push(`${event.violatedDirective} ${event.blockedURI}`));
  });
  for (const { path, heading } of pages) {
    await page.goto(path);
    await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
    await expect(page.getByRole('status', { name: 'Live updates' })).toHaveText('Live');
    expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations), path).toEqual([]);
  }
});

test('a page of another origin cannot frame the dashboard', async ({ page, baseURL }) => {
  const framing: Server = createServer((_request, response) => {
    response.setHeader('content-type', 'text/html');
    response.end(`<!doctype html><title>Elsewhere</title><iframe title="Lovage" src="${baseURL}/tasks"></iframe>`);
  });
  await new Promise<void>((resolve) => framing.listen(0, '127.0.0.1', resolve));
  try {
    const blocked = page.waitForEvent('console', (message) => /frame-ancestors|X-Frame-Options/.test(message.text()));
    await page.goto(`http://127.0.0.1:${(framing.address() as AddressInfo).port}/`);
    await blocked;
    const frame = page.frames().find((candidate) => candidate !== page.mainFrame());
    expect(frame).toBeDefined();
    await expect(frame!.getByRole('heading', { level: 1, name: 'Tasks' })).toHaveCount(0);
    expect(frame!.url()).not.toMatch(/^http:\/\/127\.0\.0\.1:3000/);
  } finally {
    await new Promise((resolve) => framing.close(resolve));
  }
});
