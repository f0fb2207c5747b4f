import { defineConfig, devices } from '@playwright/test';

const repoRoot = new URL('..', import.meta.url).pathname;
export const gatewayUrl = 'http://127.0.0.1:5555';
export const dashboardUrl = 'http://127.0.0.1:3000';

// The stack reads its own configuration; pass the real broker and database through when set,
// otherwise the demo falls back to its embedded defaults (memory:// broker, PGlite).
const passThrough: Record<string, string> = {};
for (const name of ['LOVAGE_BROKER_URL', 'LOVAGE_RESULT_BACKEND', 'DATABASE_URL']) {
  const value = process.env[name];
  if (value) passThrough[name] = value;
}

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results/artifacts',
  fullyParallel: true,
  forbidOnly: true,
  retries: 0,
  workers: 2,
  timeout: 30_000,
  // scripts/test.mjs sums test-results/playwright.json into the run's closing line.
  reporter: [['list'], ['json', { outputFile: 'test-results/playwright.json' }]],
  use: {
    baseURL: dashboardUrl,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.LOVAGE_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  projects: [
    { name: 'light', use: { ...devices['Desktop Chrome'], colorScheme: 'light' } },
    { name: 'dark', use: { ...devices['Desktop Chrome'], colorScheme: 'dark' } },
  ],
  webServer: [
    {
      name: 'demo',
      command: 'npm start -w @lovage/demo',
      cwd: repoRoot,
      url: `${gatewayUrl}/healthz`,
      env: passThrough,
      reuseExistingServer: !process.env.CI,
      timeout: 120_000,
      stdout: 'pipe',
      stderr: 'pipe',
    },
    {
      name: 'dashboard',
      command: 'node scripts/build-dashboard-if-stale.mjs && npm run start -w @lovage/dashboard',
      cwd: repoRoot,
      url: dashboardUrl,
      env: { ...passThrough, LOVAGE_GATEWAY_URL: gatewayUrl },
      reuseExistingServer: !process.env.CI,
      timeout: 300_000,
      stdout: 'pipe',
      stderr: 'pipe',
    },
  ],
});
