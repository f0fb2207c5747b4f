// What each dashboard page costs the browser while it sits open with live traffic: the demo
// (npm start: workers, beat, the load generator and the gateway in one process) on a fresh
// Postgres database, the dashboard's production build, and a real Chromium signed in as the
// admin. For each page the bench loads it, waits until it shows its data and the live feed is
// connected, lets it settle, then reads CDP Performance.getMetrics before and after a quiet
// window. One JSON line per page on stdout (progress on stderr unless --json):
//   busyPercent          main-thread time in tasks / wall time (CDP TaskDuration); the budget
//                        (issue #22) is 3 % of a core
//   layoutsPerSecond     layouts (LayoutCount) per second
//   scriptPercent        main-thread time in script (ScriptDuration) / wall time
//   rendererCpuPercent   CPU time of the renderer process, all threads / wall time
//   styleRecalcsPerSecond
// busyPercent counts wall time, so on a busy machine it grows with the wait for a core;
// rendererCpuPercent does not. Compare runs made under the same load.
//
//   tsx --conditions=@lovage/source src/dashboard-idle.ts [--json] [--seconds 10] [--settle 20]
//       [--rate 3] [--pages overview,tasks,...] [--profile DIR]
//
// --profile DIR also records a CPU profile of the window per page (DIR/<page>.cpuprofile, for
// Chrome DevTools' Performance panel); the profiler's own cost then shows in the figures.
//
// The stack (demo-stack.ts) runs beside the e2e suite: free ports, the memory broker, a
// throwaway database. Each page is measured only once the live feed shows as connected.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CDPSession, Page } from '@playwright/test';
import { withDemoStack } from './demo-stack.js';
import { benchArgs, progress, sleep } from './gateway-support.js';

const args = benchArgs();
const say = progress(args.json);
const WINDOW_SECONDS = args.number('--seconds', 10);
// Long enough for a page to reach the state it stays in: the overview's sampled charts appear
// with their second sample, 15 s after the page opened.
const SETTLE_SECONDS = args.number('--settle', 20);
const RATE = args.has('--rate') ? args.number('--rate', 3) : undefined;
const BUDGET_PERCENT = 3;
const onlyPages = (() => {
  const index = args.argv.indexOf('--pages');
  return index >= 0 ? new Set((args.argv[index + 1] ?? '').split(',')) : undefined;
})();
const profileDir = (() => {
  const index = args.argv.indexOf('--profile');
  return index >= 0 ? args.argv[index + 1] : undefined;
})();

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
  // The garbage of loading the page (and the page before) is not the cost of sitting open.
  await cdp.send('HeapProfiler.collectGarbage');
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

async function main(): Promise<void> {
  say('dashboard idle: building the dashboard if its sources changed');
  await withDemoStack({ rate: RATE, say }, async ({ browser, page, dashboardUrl }) => {
    const cdp = await page.context().newCDPSession(page);
    const browserCdp = await browser.newBrowserCDPSession();
    for (const target of pages) {
      if (onlyPages && !onlyPages.has(target.slug)) continue;
      const path = typeof target.path === 'string' ? target.path : await target.path(page, dashboardUrl);
      const line = await measure(page, cdp, browserCdp, dashboardUrl, target, path);
      process.stdout.write(`${JSON.stringify(line)}\n`);
      say(`  ${line.page.padEnd(16)} busy ${String(line.busyPercent).padStart(6)} %   layouts ${String(line.layoutsPerSecond).padStart(6)} /s`);
    }
  });
}

await main();
process.exit(0);
