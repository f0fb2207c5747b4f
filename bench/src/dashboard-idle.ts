// What each dashboard page costs the browser while it sits open with live traffic: the demo
// (npm start: workers, beat, the load generator and the gateway in one process) on a fresh
// Postgres database, the dashboard's production build, and a real Chromium signed in as the
// admin. For each page the bench loads it, waits until it shows its data and the live feed is
// connected, lets it settle, then reads CDP Performance.getMetrics before and after a quiet
// window: renderer main-thread busy % (TaskDuration delta / wall time) and layouts per second.
// One JSON line per page on stdout; the budget (issue #22) is 3 % of a core.
//
//   tsx --conditions=@lovage/source src/dashboard-idle.ts [--json] [--seconds 10] [--settle 3]
//       [--rate 3] [--pages overview,tasks,...] [--profile DIR]
//
// --profile DIR also records a CPU profile of the window per page (DIR/<page>.cpuprofile, for
// Chrome DevTools' Performance panel); the profiler's own cost then shows in the figures.
//
// Nothing here uses the e2e stack's fixed ports (3000, 5555), its Redis database or its
// Postgres database, so it runs beside the e2e suite: the demo's gateway and the dashboard each
// listen on a free port, the broker is the demo's in-process memory:// one, and the database is
// a throwaway one. The dashboard's browser bundle opens its socket on the page's host at port
// 5555 (NEXT_PUBLIC_LOVAGE_GATEWAY_URL is fixed at build time), so Chromium is told to send
// 127.0.0.1:5555 to the bench's gateway instead (--host-rules); the bench checks that the live
// feed is connected on every page before it measures, so a socket that went elsewhere fails it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type CDPSession, type Page } from '@playwright/test';
import { CHROMIUM, buildDashboardIfStale, freePort, repoRoot, signIn, startDashboard, waitForHttp } from './dashboard-support.js';
import { POSTGRES_URL, benchArgs, databaseUrl, progress, runId, sleep, withClient } from './gateway-support.js';

const args = benchArgs();
const say = progress(args.json);
const WINDOW_SECONDS = args.number('--seconds', 10);
const SETTLE_SECONDS = args.number('--settle', 3);
const RATE = args.has('--rate') ? args.number('--rate', 3) : undefined;
const BUDGET_PERCENT = 3;
const onlyPages = (() => {
  const index = args.argv.indexOf('--pages');
  return index >= 0 ? new Set((args.argv[index + 1] ?? '').split(',')) : undefined;
})();
/** Where the dashboard's browser bundle looks for the gateway's socket by default. */
const profileDir = (() => {
  const index = args.argv.indexOf('--profile');
  return index >= 0 ? args.argv[index + 1] : undefined;
})();
const BUNDLED_GATEWAY = '127.0.0.1:5555';
const admin = { email: 'bench@example.com', password: 'bench-password-1' };

interface PageToMeasure {
  slug: string;
  page: string;
  /** The path, or how to find it (a detail page links from its list). */
  path: string | ((page: Page, dashboardUrl: string) => Promise<string>);
}

/** The href of the first link matching `selector` on `listPath`, once one is there. */
function firstLink(listPath: string, selector: string) {
  return async (page: Page, dashboardUrl: string): Promise<string> => {
    await page.goto(`${dashboardUrl}${listPath}`);
    const link = page.locator(selector).first();
    await link.waitFor({ timeout: 60_000 });
    const href = await link.getAttribute('href');
    if (!href) throw new Error(`no link ${selector} on ${listPath}`);
    return href;
  };
}

const pages: PageToMeasure[] = [
  { slug: 'overview', page: 'Overview', path: '/' },
  { slug: 'tasks', page: 'Tasks', path: '/tasks' },
  { slug: 'task', page: 'Task detail', path: firstLink('/tasks', '[role="row"][data-task-id] a[href^="/tasks/"]') },
  { slug: 'workers', page: 'Workers', path: '/workers' },
  { slug: 'worker', page: 'Worker detail', path: firstLink('/workers', 'main a[href^="/workers/"]') },
  { slug: 'queues', page: 'Queues', path: '/queues' },
  { slug: 'schedules', page: 'Schedules', path: '/schedules' },
  {
    slug: 'schedule',
    page: 'Schedule detail',
    path: firstLink('/schedules', 'main a[href^="/schedules/"]:not([href="/schedules/new"]):not([href$="/edit"])'),
  },
  { slug: 'schedule-new', page: 'New schedule', path: '/schedules/new' },
  { slug: 'dead-letters', page: 'Dead letters', path: '/dead-letters' },
  { slug: 'audit', page: 'Audit log', path: '/audit' },
  { slug: 'settings', page: 'Settings', path: '/settings' },
];

type Metrics = Record<string, number>;

async function readMetrics(cdp: CDPSession): Promise<Metrics> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(metrics.map((metric) => [metric.name, metric.value]));
}

const delta = (before: Metrics, after: Metrics, name: string): number => (after[name] ?? 0) - (before[name] ?? 0);
const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * CPU time of the browser's renderer processes (all threads: main, compositor, raster). Unlike
 * TaskDuration, which is the main thread's wall time in tasks, it does not grow when other work
 * on a busy machine delays the renderer, so it is the steadier figure on a shared machine.
 */
async function rendererCpuSeconds(browserCdp: CDPSession): Promise<number> {
  const { processInfo } = await browserCdp.send('SystemInfo.getProcessInfo');
  return processInfo.filter((info) => info.type === 'renderer').reduce((sum, info) => sum + info.cpuTime, 0);
}

/** Loads `path`, waits for its data and the live feed, lets it settle, then measures a quiet window. */
async function measure(page: Page, cdp: CDPSession, browserCdp: CDPSession, dashboardUrl: string, target: PageToMeasure, path: string) {
  await page.goto(`${dashboardUrl}${path}`);
  await page.locator('main h1').first().waitFor({ timeout: 60_000 });
  await page.locator('main [aria-busy="true"]').first().waitFor({ state: 'detached', timeout: 60_000 });
  await page.getByRole('status', { name: 'Live updates' }).filter({ hasText: /^Live$/ }).waitFor({ timeout: 30_000 });
  await sleep(SETTLE_SECONDS * 1_000);
  await cdp.send('Performance.enable');
  if (profileDir) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.start');
  }
  const before = await readMetrics(cdp);
  const cpuBefore = await rendererCpuSeconds(browserCdp);
  await sleep(WINDOW_SECONDS * 1_000);
  const after = await readMetrics(cdp);
  const cpuAfter = await rendererCpuSeconds(browserCdp);
  if (profileDir) {
    const { profile } = await cdp.send('Profiler.stop');
    mkdirSync(profileDir, { recursive: true });
    writeFileSync(join(profileDir, `${target.slug}.cpuprofile`), JSON.stringify(profile));
  }
  const wall = delta(before, after, 'Timestamp');
  return {
    page: target.page,
    path,
    busyPercent: round((delta(before, after, 'TaskDuration') / wall) * 100, 2),
    layoutsPerSecond: round(delta(before, after, 'LayoutCount') / wall, 2),
    scriptPercent: round((delta(before, after, 'ScriptDuration') / wall) * 100, 2),
    rendererCpuPercent: round(((cpuAfter - cpuBefore) / wall) * 100, 2),
    styleRecalcsPerSecond: round(delta(before, after, 'RecalcStyleCount') / wall, 2),
    seconds: round(wall, 1),
    budgetPercent: BUDGET_PERCENT,
  };
}

/** The demo's all-in-one process (npm start) on its own port, database and data folder. */
function startDemo(options: { port: number; databaseUrl: string; dataDir: string; dashboardUrl: string }): { child: ChildProcess; output: () => string } {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT_GATEWAY: String(options.port),
    HOST: '127.0.0.1',
    DATABASE_URL: options.databaseUrl,
    LOVAGE_DATA_DIR: options.dataDir,
    LOVAGE_ADMIN_EMAIL: admin.email,
    LOVAGE_ADMIN_PASSWORD: admin.password,
    LOVAGE_DASHBOARD_URL: options.dashboardUrl,
    ...(RATE !== undefined ? { LOVAGE_DEMO_RATE: String(RATE) } : {}),
  };
  // The in-process memory broker: no Redis database to share with anything else.
  delete env.LOVAGE_BROKER_URL;
  delete env.LOVAGE_RESULT_BACKEND;
  // Its own process group, so stopping it stops npm's children too.
  const child = spawn('npm', ['start', '-w', '@lovage/demo'], { cwd: repoRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => tail };
}

async function stopGroup(child: ChildProcess | undefined): Promise<void> {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(-child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  }, 15_000);
  await exited;
  clearTimeout(timer);
}

async function main(): Promise<void> {
  const database = `lovage_bench_idle_${runId()}`;
  await withClient(POSTGRES_URL, (client) => client.query(`CREATE DATABASE "${database}"`));
  const dataDir = mkdtempSync(join(tmpdir(), 'lovage-bench-idle-'));
  let demo: ReturnType<typeof startDemo> | undefined;
  let dashboard: ChildProcess | undefined;
  let browser: Browser | undefined;
  try {
    say('dashboard idle: building the dashboard if its sources changed');
    buildDashboardIfStale();
    const gatewayPort = await freePort();
    const dashboardPort = await freePort();
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const dashboardUrl = `http://127.0.0.1:${dashboardPort}`;
    demo = startDemo({ port: gatewayPort, databaseUrl: databaseUrl(database), dataDir, dashboardUrl });
    const demoExit = new Promise<never>((_, reject) =>
      demo?.child.once('exit', (code) => reject(new Error(`the demo exited (${code ?? 'signal'}):\n${demo?.output() ?? ''}`))),
    );
    await Promise.race([waitForHttp(`${gatewayUrl}/healthz`, 180_000), demoExit]);
    dashboard = startDashboard(dashboardPort, gatewayUrl);
    await waitForHttp(`${dashboardUrl}/login`, 60_000);
    say(`  demo gateway on ${gatewayUrl}, dashboard on ${dashboardUrl}`);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        `--host-rules=MAP ${BUNDLED_GATEWAY} 127.0.0.1:${gatewayPort}`,
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, dashboardUrl, admin);
    const cdp = await page.context().newCDPSession(page);
    const browserCdp = await browser.newBrowserCDPSession();
    page.setDefaultNavigationTimeout(60_000);

    for (const target of pages) {
      if (onlyPages && !onlyPages.has(target.slug)) continue;
      const path = typeof target.path === 'string' ? target.path : await target.path(page, dashboardUrl);
      const line = await measure(page, cdp, browserCdp, dashboardUrl, target, path);
      process.stdout.write(`${JSON.stringify(line)}\n`);
      say(`  ${line.page.padEnd(16)} busy ${String(line.busyPercent).padStart(6)} %   layouts ${String(line.layoutsPerSecond).padStart(6)} /s`);
    }
  } finally {
    await browser?.close();
    await stopGroup(dashboard);
    await stopGroup(demo?.child);
    rmSync(dataDir, { recursive: true, force: true });
    await withClient(POSTGRES_URL, (client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
  }
}

await main();
process.exit(0);
