import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { expect, test } from '@playwright/test';

const dashboardDir = new URL('../../apps/dashboard/', import.meta.url).pathname;
// Next's own entry, run with this Node: no npx (an npm process) in between to start first.
const nextBin = createRequire(`${dashboardDir}package.json`).resolve('next/dist/bin/next');

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

/** Waits until the server answers HTTP, or says why it never will. */
async function expectAnswering(url: string, child: ChildProcess): Promise<void> {
  await expect
    .poll(
      async () => {
        if (child.exitCode !== null) return `exited with code ${child.exitCode}`;
        return fetch(url).then(
          () => 'answering',
          () => 'not listening yet',
        );
      },
      // A cold `next start` on a machine three times slower than a quiet one.
      { message: `the second dashboard at ${url}`, timeout: 30_000 },
    )
    .toBe('answering');
}

test('the dashboard says the gateway is unreachable when it is down, instead of failing', async ({
  page,
  browser,
}) => {
  // A second dashboard server from the same build, pointed at a port where nothing listens.
  const [port, closedPort] = await Promise.all([freePort(), freePort()]);
  const child = spawn(process.execPath, [nextBin, 'start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: dashboardDir,
    env: { ...process.env, LOVAGE_GATEWAY_URL: `http://127.0.0.1:${closedPort}` },
    stdio: 'ignore',
    detached: true,
  });
  try {
    await expectAnswering(`http://127.0.0.1:${port}/`, child);
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
    // End the whole process group we created, in case next started helpers of its own.
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
  }
});
