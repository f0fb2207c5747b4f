// `npm test`: every check the project has, in order, with timings per stage.
//   1. prerequisites (Redis, PostgreSQL, Chromium) — stops at once with the fix
//   2. the Prisma client, generated from prisma/schema.prisma
//   3. lint, typecheck and unit + integration tests of every workspace (turbo)
//   4. the dashboard's production build, when its sources changed since the last one
//   5. the Playwright end-to-end suite in Debian's Chromium, against the demo's whole stack on
//      real Redis (databases 13 and 12), PostgreSQL (database lovage_e2e) and a RabbitMQ vhost
//      (lovage-e2e, for the watched Celery cluster on RabbitMQ), all emptied first
// It ends with one line "N passed, N failed" summing every test runner's counts.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkChromium, checkPostgres, checkPythonPeers, checkRedis } from './preflight.mjs';

const root = new URL('..', import.meta.url).pathname;
const env = {
  ...process.env,
  TEST_REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0',
  TEST_DATABASE_URL: process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
  LOVAGE_CHROMIUM: process.env.LOVAGE_CHROMIUM ?? '/usr/bin/chromium',
};
const timings = [];

function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function stage(name, fn) {
  const started = Date.now();
  console.log(`\n▶ ${name}`);
  const ok = await fn();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  timings.push(`${name}: ${seconds}s${ok ? '' : ' (failed)'}`);
  console.log(`${ok ? '✔' : '✘'} ${name} (${seconds}s)`);
  return ok;
}

/** Where each workspace's Vitest and Playwright runs leave their JSON reports. */
function reportFiles() {
  const files = [];
  for (const dir of ['apps', '.']) {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      for (const name of ['vitest.json', 'playwright.json']) {
        const file = join(root, dir, entry.name, 'test-results', name);
        if (existsSync(file)) files.push(file);
      }
    }
  }
  return files;
}

function clearReports() {
  for (const file of reportFiles()) rmSync(file);
}

function countResults() {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const file of reportFiles()) {
    const report = JSON.parse(readFileSync(file, 'utf8'));
    if (file.endsWith('vitest.json')) {
      passed += report.numPassedTests ?? 0;
      failed += report.numFailedTests ?? 0;
      skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    } else {
      passed += (report.stats?.expected ?? 0) + (report.stats?.flaky ?? 0);
      failed += report.stats?.unexpected ?? 0;
      skipped += report.stats?.skipped ?? 0;
    }
  }
  return { passed, failed, skipped };
}

const problems = (
  await Promise.all([
    checkRedis(env.TEST_REDIS_URL),
    checkPostgres(env.TEST_DATABASE_URL),
    Promise.resolve(checkChromium(env.LOVAGE_CHROMIUM)),
    checkPythonPeers(),
  ])
).filter(Boolean);
if (problems.length > 0) {
  console.error(`npm test cannot start:\n\n${problems.join('\n\n')}\n`);
  process.exit(1);
}

clearReports();
const ok =
  (await stage('prisma client', async () => (await run('node', ['scripts/db.mjs', 'generate'])) === 0)) &&
  (await stage('lint, typecheck, unit and integration tests', async () =>
    (await run('npx', ['turbo', 'run', 'lint', 'typecheck', 'test', '--filter=!@lovage/e2e', '--concurrency=2', '--output-logs=errors-only'])) === 0,
  )) &&
  (await stage('e2e lint and typecheck', async () =>
    (await run('npx', ['turbo', 'run', 'lint', 'typecheck', '--filter=@lovage/e2e', '--output-logs=errors-only'])) === 0,
  )) &&
  // Built here rather than by Playwright's web server step, whose start-up limit would then have
  // to cover a `next build` (minutes on a slow machine) as well as the server's start.
  (await stage('dashboard build', async () => (await run('node', ['scripts/build-dashboard-if-stale.mjs'])) === 0)) &&
  (await stage('end-to-end tests (Playwright, Chromium)', async () => (await run('npm', ['run', 'test:e2e'])) === 0));

const { passed, failed, skipped } = countResults();
console.log(`\nTimings:\n  ${timings.join('\n  ')}`);
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(ok && failed === 0 ? 0 : 1);
