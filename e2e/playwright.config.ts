import { defineConfig, devices } from '@playwright/test';
import { admin, adminStorageState } from './tests/accounts.js';

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

// A fresh embedded database per run, so the first admin below is created with this password
// (with DATABASE_URL set, the admin must already have it or be absent).
const demoDataDir = new URL('./test-results/demo-data', import.meta.url).pathname;
const accountSpecs = /(auth|settings)\.spec\.ts$/;
// The console's behaviour (live tasks, actions, schedules, queues, roles): once, in light, since
// these tests change data and the colour scheme does not change what they prove.
const consoleSpecs = /(tasks|schedules|queues|viewer)\.spec\.ts$/;

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
    // Signs in as the admin once and saves the browser state the other projects start from.
    { name: 'setup', testMatch: /\.setup\.ts$/, use: { ...devices['Desktop Chrome'] } },
    // Sign-in, sign-out and account management: once, not per colour scheme (failed sign-ins
    // count towards the gateway's login rate limit, and these tests change data).
    {
      name: 'accounts',
      testMatch: accountSpecs,
      dependencies: ['setup'],
      use: { ...devices['Desktop Chrome'], colorScheme: 'light' },
    },
    {
      name: 'console',
      testMatch: consoleSpecs,
      dependencies: ['setup'],
      use: { ...devices['Desktop Chrome'], colorScheme: 'light', storageState: adminStorageState },
    },
    ...(['light', 'dark'] as const).map((colorScheme) => ({
      name: colorScheme,
      testIgnore: [accountSpecs, consoleSpecs],
      dependencies: ['setup'],
      use: { ...devices['Desktop Chrome'], colorScheme, storageState: adminStorageState },
    })),
  ],
  webServer: [
    {
      name: 'demo',
      command: `rm -rf '${demoDataDir}' && npm start -w @lovage/demo`,
      cwd: repoRoot,
      url: `${gatewayUrl}/healthz`,
      env: {
        ...passThrough,
        LOVAGE_DATA_DIR: demoDataDir,
        LOVAGE_ADMIN_EMAIL: admin.email,
        LOVAGE_ADMIN_PASSWORD: admin.password,
        // The gateway refuses state-changing requests from origins other than the dashboard's.
        LOVAGE_DASHBOARD_URL: dashboardUrl,
      },
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
