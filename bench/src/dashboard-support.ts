// Shared by the dashboard benches: free ports, waiting for a server to answer, the system
// Chromium, the dashboard's production server, and signing in through the login form.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { Page } from '@playwright/test';

export const CHROMIUM = process.env.LOVAGE_CHROMIUM ?? '/usr/bin/chromium';
export const repoRoot = new URL('../../', import.meta.url).pathname;
const dashboardDir = new URL('../../apps/dashboard/', import.meta.url).pathname;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { redirect: 'manual' });
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** Builds the dashboard when its production build is missing or older than its sources. */
export function buildDashboardIfStale(): void {
  const result = spawnSync(process.execPath, ['scripts/build-dashboard-if-stale.mjs'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error(`building the dashboard failed (exit ${result.status ?? 'signal'})`);
}

/** `next start` of the production build on 127.0.0.1:`port`, forwarding /api to `gatewayUrl`. */
export function startDashboard(port: number, gatewayUrl: string): ChildProcess {
  return spawn(new URL('../../node_modules/.bin/next', import.meta.url).pathname, ['start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: dashboardDir,
    env: { ...process.env, LOVAGE_GATEWAY_URL: gatewayUrl },
    // Its own process group, so a bench can stop it with whatever it started.
    detached: true,
    stdio: 'ignore',
  });
}

/** Signs in on the dashboard's login page and waits for the signed-in header. */
export async function signIn(page: Page, dashboardUrl: string, account: { email: string; password: string }): Promise<void> {
  await page.goto(`${dashboardUrl}/login`);
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Signed in as').waitFor();
}
