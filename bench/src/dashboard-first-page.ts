// Time for the dashboard's task list to show its first page against 1,000,000 stored tasks:
// a real Chromium opens /tasks on the production build (next start) in front of a real gateway
// on a Postgres database seeded with a million rows; the clock runs from navigation start to
// the first task row being visible. Report only (no peer): the bar is one second.
//
//   tsx --conditions=@lovage/source src/dashboard-first-page.ts [--json] [--tasks 1000000] [--runs 7]
//
// Needs the dashboard's production build (node scripts/build-dashboard-if-stale.mjs) and
// /usr/bin/chromium (or LOVAGE_CHROMIUM).
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { chromium } from '@playwright/test';
import { createGateway, migratePostgres, type Gateway } from '@lovage/gateway';
import { CHROMIUM, freePort, signIn, startDashboard, waitForHttp } from './dashboard-support.js';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const option = (name: string, fallback: number): number => {
  const index = argv.indexOf(name);
  return index >= 0 ? Number(argv[index + 1]) : fallback;
};
const TASK_COUNT = option('--tasks', 1_000_000);
const RUNS = option('--runs', 7);
const TARGET_MS = 1_000;
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const say = (line: string): void => {
  if (!json) process.stderr.write(`${line}\n`);
};

function withDatabase(url: string) {
  return async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
}

function urlOf(database: string): string {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/** A million finished and unfinished tasks over the last week, loaded in one statement. */
async function seedTasks(url: string, count: number): Promise<void> {
  await withDatabase(url)(async (db) => {
    const started = performance.now();
    await db.query(
      `INSERT INTO tasks (id, name, state, args, queue, worker, runtime, result_preview, error_name, error_message, created_at, updated_at)
       SELECT md5('dashboard-bench-' || n)::uuid::text,
              'bench.job' || (n % 12),
              (CASE WHEN n % 10 < 8 THEN 'SUCCESS' WHEN n % 10 = 8 THEN 'FAILURE' ELSE 'STARTED' END)::task_state,
              jsonb_build_array(n, 'order-' || n),
              'q' || (n % 3),
              'bench-worker-' || (n % 8),
              (n % 500) / 250.0,
              CASE WHEN n % 10 < 8 THEN '"done ' || n || '"' END,
              CASE WHEN n % 10 = 8 THEN 'BenchError' END,
              CASE WHEN n % 10 = 8 THEN 'failed on purpose #' || n END,
              now() - n * (interval '7 days' / $1::int),
              now() - n * (interval '7 days' / $1::int)
         FROM generate_series(1, $1::int) AS n`,
      [count],
    );
    await db.query('ANALYZE tasks');
    say(`  seeded ${count.toLocaleString()} tasks in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function main(): Promise<void> {
  const database = `lovage_bench_dashboard_${randomBytes(4).toString('hex')}`;
  await withDatabase(POSTGRES_URL)((db) => db.query(`CREATE DATABASE "${database}"`));
  const url = urlOf(database);
  let gateway: Gateway | undefined;
  let dashboard: ChildProcess | undefined;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    await migratePostgres(url);
    say(`dashboard first page: seeding ${TASK_COUNT.toLocaleString()} tasks into ${database}`);
    await seedTasks(url, TASK_COUNT);

    const dashboardPort = await freePort();
    const dashboardUrl = `http://127.0.0.1:${dashboardPort}`;
    const admin = { email: 'bench@example.com', password: 'bench-password-1' };
    gateway = await createGateway({
      databaseUrl: url,
      port: 0,
      host: '127.0.0.1',
      logLevel: 'warn',
      retention: false,
      security: { adminEmail: admin.email, adminPassword: admin.password, metricsToken: undefined, dashboardUrl },
      passwordCost: 1_024,
    });
    dashboard = startDashboard(dashboardPort, gateway.url);
    await waitForHttp(`${dashboardUrl}/login`, 60_000);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, dashboardUrl, admin);

    const firstRow = page.locator('[role="row"][data-task-id]').first();
    const times: number[] = [];
    // The first visit compiles nothing (production build) but warms the server's and
    // Postgres's caches; it is measured and reported apart as the cold figure.
    for (let run = 0; run <= RUNS; run++) {
      await page.goto('about:blank');
      const started = performance.now();
      await page.goto(`${dashboardUrl}/tasks`, { waitUntil: 'commit' });
      await firstRow.waitFor({ state: 'visible', timeout: 30_000 });
      const elapsed = performance.now() - started;
      const rows = await page.locator('[role="row"][data-task-id]').count();
      say(`  run ${run}${run === 0 ? ' (cold)' : ''}: ${elapsed.toFixed(0)} ms, ${rows} rows rendered`);
      if (run > 0) times.push(elapsed);
    }
    const results = [
      { name: 'dashboard_task_list_first_page_median_1m', unit: 'ms', lovage: median(times) },
      { name: 'dashboard_task_list_first_page_max_1m', unit: 'ms', lovage: Math.max(...times) },
    ];
    for (const result of results) {
      const line = { ...result, lovage: Math.round(result.lovage), peer: 'target', peerValue: TARGET_MS, ratio: Math.round((TARGET_MS / result.lovage) * 100) / 100 };
      if (json) process.stdout.write(`${JSON.stringify(line)}\n`);
      else process.stdout.write(`${line.name.padEnd(44)} ${String(line.lovage).padStart(6)} ms  target ${TARGET_MS}  ratio ${line.ratio}\n`);
    }
  } finally {
    await browser.close();
    dashboard?.kill('SIGTERM');
    await gateway?.close();
    await withDatabase(POSTGRES_URL)((db) => db.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
  }
}

await main();
process.exit(0);
