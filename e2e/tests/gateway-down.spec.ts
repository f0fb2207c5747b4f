import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { expect, test } from '@playwright/test';

const dashboardDir = new URL('../../apps/dashboard/', import.meta.url).pathname;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`dashboard exited with code ${child.exitCode}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

test('the dashboard says the gateway is unreachable when it is down, instead of failing', async ({
  page,
  browser,
}) => {
  // A second dashboard server from the same build, pointed at a port where nothing listens.
  const [port, closedPort] = await Promise.all([freePort(), freePort()]);
  const child = spawn('npx', ['next', 'start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: dashboardDir,
    env: { ...process.env, LOVAGE_GATEWAY_URL: `http://127.0.0.1:${closedPort}` },
    stdio: 'ignore',
    detached: true,
  });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/`, child, 20_000);
    const response = await page.goto(`http://127.0.0.1:${port}/`);
    expect(response?.status()).toBe(200);
    await expect(page.getByRole('status', { name: 'Gateway health' })).toHaveText('Gateway: unreachable');
    await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
    // /api/* follows LOVAGE_GATEWAY_URL as set when this server started, not as at build time.
    const api = await page.request.get(`http://127.0.0.1:${port}/api/v1/auth/me`);
    expect(api.status()).toBeGreaterThanOrEqual(500);

    // Signed out, the sign-in page says so too, before anyone types a password in vain.
    // The test runner applies the project's options to new contexts too: start with no cookies.
    const signedOut = await browser.newContext({ storageState: { cookies: [], origins: [] } });
    const login = await signedOut.newPage();
    await login.goto(`http://127.0.0.1:${port}/settings`);
    await expect(login).toHaveURL(`http://127.0.0.1:${port}/login?next=/settings`);
    await expect(login.getByRole('status', { name: 'Gateway health' })).toHaveText('Gateway: unreachable');
    await signedOut.close();
  } finally {
    // npx starts next as a child: end the whole process group we created.
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
  }
});
