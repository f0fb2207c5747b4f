import { defineConfig, devices } from '@playwright/test';
import { admin, adminStorageState } from './tests/accounts.js';
import { brokerUrl, celeryCluster, databaseUrl, rabbitCluster, resetEnv } from './tests/stack.js';

const repoRoot = new URL('..', import.meta.url).pathname;
export const gatewayUrl = 'http://127.0.0.1:5555';
export const dashboardUrl = 'http://127.0.0.1:3000';

// The whole stack on real Redis and PostgreSQL (tests/stack.ts): the broker, the result backend
// (the broker's Redis unless LOVAGE_RESULT_BACKEND says) and the gateway's and demo's database.
const stackEnv: Record<string, string> = {
  LOVAGE_BROKER_URL: brokerUrl,
  DATABASE_URL: databaseUrl,
  // The gateway also watches two Python Celery clusters, one on Redis and one on RabbitMQ (its
  // results on Redis), whose workers celery.spec.ts starts.
  LOVAGE_CELERY_BROKER_URL: `${celeryCluster.name}=${celeryCluster.brokerUrl},${rabbitCluster.name}=${rabbitCluster.brokerUrl}`,
  LOVAGE_CELERY_RESULT_BACKEND: `${rabbitCluster.name}=${rabbitCluster.resultBackend}`,
  LOVAGE_CELERY_KEY_PREFIX: celeryCluster.keyPrefix,
  LOVAGE_CELERY_BEAT_PREFIX: celeryCluster.beatPrefix,
  ...(process.env.LOVAGE_RESULT_BACKEND ? { LOVAGE_RESULT_BACKEND: process.env.LOVAGE_RESULT_BACKEND } : {}),
};
// Only the engine's temporary files (thumbnails) land here; the data is in PostgreSQL.
const demoDataDir = new URL('./test-results/demo-data', import.meta.url).pathname;
const accountSpecs = /(auth|settings)\.spec\.ts$/;

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results/artifacts',
  fullyParallel: true,
  forbidOnly: true,
  retries: 0,
  // One browser at a time: the demo (workers, gateway, beat, load generator), Next.js and
  // Chromium share two cores, and a second browser only competes with them for the same CPU.
  workers: 1,
  // Limits for a machine three times slower than a quiet two-core one. A state a user waits for
  // (a page with its data, a live update after an action) gets 15 s; a test, up to a dozen such
  // steps, 60 s; tests that walk every page set their own (one page load's time per page).
  timeout: 60_000,
  expect: { timeout: 15_000 },
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
    // Sign-in, sign-out and account management: signed out at the start (failed sign-ins count
    // towards the gateway's login rate limit, and these tests change data).
    {
      name: 'accounts',
      testMatch: accountSpecs,
      dependencies: ['setup'],
      use: { ...devices['Desktop Chrome'], colorScheme: 'light' },
    },
    // The console (live tasks, actions, schedules, queues, roles, navigation, how each page looks),
    // signed in as the admin. Pages open in light; the axe checks and the screenshots switch them
    // to dark too (tests/axe.ts), rather than loading each page and its data once per scheme.
    {
      name: 'console',
      testIgnore: accountSpecs,
      dependencies: ['setup'],
      use: { ...devices['Desktop Chrome'], colorScheme: 'light', storageState: adminStorageState },
    },
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
        // Alert rules are checked every 2 s (default 30 s), so alerts.spec.ts sees one fire soon.
        LOVAGE_ALERT_INTERVAL_MS: '2000',
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
