import { defineConfig, devices } from '@playwright/test';
import { admin, adminStorageState } from './tests/accounts.js';
import { brokerUrl, databaseUrl, resetEnv } from './tests/stack.js';

const repoRoot = new URL('..', import.meta.url).pathname;
export const gatewayUrl = 'http://127.0.0.1:5555';
export const dashboardUrl = 'http://127.0.0.1:3000';

// The whole stack on real Redis and PostgreSQL (tests/stack.ts): the broker, the result backend
// (the broker's Redis unless LOVAGE_RESULT_BACKEND says) and the gateway's and demo's database.
const stackEnv: Record<string, string> = {
  LOVAGE_BROKER_URL: brokerUrl,
  DATABASE_URL: databaseUrl,
  ...(process.env.LOVAGE_RESULT_BACKEND ? { LOVAGE_RESULT_BACKEND: process.env.LOVAGE_RESULT_BACKEND } : {}),
};
// Only the engine's temporary files (thumbnails) land here; the data is in PostgreSQL.
const demoDataDir = new URL('./test-results/demo-data', import.meta.url).pathname;
const accountSpecs = /(auth|settings)\.spec\.ts$/;
// The console's behaviour (live tasks, actions, schedules, queues, roles): once, in light, since
// these tests change data and the colour scheme does not change what they prove.
const consoleSpecs = /(tasks|schedules|queues|viewer|workers|dead-letters|overview|xss)\.spec\.ts$/;

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results/artifacts',
  fullyParallel: true,
  forbidOnly: true,
  retries: 0,
  workers: 2,
  timeout: 30_000,
  // A shared two-core machine: a client-side navigation can take a few seconds under load.
  expect: { timeout: 10_000 },
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
      // Empties the stack's own Redis and PostgreSQL databases first, so the admin below is new.
      command: `rm -rf '${demoDataDir}' && node e2e/scripts/reset-stack.mjs && npm start -w @lovage/demo`,
      cwd: repoRoot,
      url: `${gatewayUrl}/healthz`,
      env: {
        ...stackEnv,
        ...resetEnv,
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
      env: { LOVAGE_GATEWAY_URL: gatewayUrl },
      reuseExistingServer: !process.env.CI,
      timeout: 300_000,
      stdout: 'pipe',
      stderr: 'pipe',
    },
  ],
});
