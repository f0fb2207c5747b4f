// The demo with live traffic in front of the dashboard, for benches that look at the browser:
// the demo's all-in-one process (npm start: workers, beat, the load generator and the gateway)
// on a throwaway Postgres database, the dashboard's production build, and a real Chromium
// signed in as the admin.
//
// Nothing here uses the e2e stack's fixed ports (3000, 5555), its Redis database or its
// Postgres database, so it runs beside the e2e suite: the demo's gateway and the dashboard each
// listen on a free port and the broker is the demo's in-process memory:// one. The dashboard's
// browser bundle opens its socket on the page's host at port 5555 (NEXT_PUBLIC_LOVAGE_GATEWAY_URL
// is fixed at build time), so Chromium is told to send 127.0.0.1:5555 to this gateway instead
// (--host-rules). Callers check the live feed is connected before they trust a figure.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from '@playwright/test';
import { CHROMIUM, buildDashboardIfStale, freePort, repoRoot, signIn, startDashboard, waitForHttp } from './dashboard-support.js';
import { POSTGRES_URL, databaseUrl, runId, withClient } from './gateway-support.js';

/** Where the dashboard's browser bundle looks for the gateway's socket by default. */
const BUNDLED_GATEWAY = '127.0.0.1:5555';
const admin = { email: 'bench@example.com', password: 'bench-password-1' };

export interface DemoStack {
  browser: Browser;
  /** Signed in as the admin, 1280×900. */
  page: Page;
  dashboardUrl: string;
  gatewayUrl: string;
}

/** The demo's all-in-one process (npm start) on its own port, database and data folder. */
function startDemo(options: { port: number; databaseUrl: string; dataDir: string; dashboardUrl: string; rate: number | undefined }) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT_GATEWAY: String(options.port),
    HOST: '127.0.0.1',
    DATABASE_URL: options.databaseUrl,
    LOVAGE_DATA_DIR: options.dataDir,
    LOVAGE_ADMIN_EMAIL: admin.email,
    LOVAGE_ADMIN_PASSWORD: admin.password,
    LOVAGE_DASHBOARD_URL: options.dashboardUrl,
    ...(options.rate !== undefined ? { LOVAGE_DEMO_RATE: String(options.rate) } : {}),
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
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code) => reject(new Error(`the demo exited (${code ?? 'signal'}):\n${tail}`)));
  });
  exited.catch(() => undefined);
  return { child, exited };
}

/** Stops a process started in its own group, and everything it started. */
async function stopGroup(child: ChildProcess | undefined): Promise<void> {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const pid = child.pid;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(-pid, 'SIGTERM');
  const timer = setTimeout(() => process.kill(-pid, 'SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Starts the stack, runs `work` with a signed-in page, and stops and deletes everything after. */
export async function withDemoStack<T>(
  options: { rate?: number | undefined; say: (line: string) => void },
  work: (stack: DemoStack) => Promise<T>,
): Promise<T> {
  const database = `lovage_bench_demo_${runId()}`;
  await withClient(POSTGRES_URL, (client) => client.query(`CREATE DATABASE "${database}"`));
  const dataDir = mkdtempSync(join(tmpdir(), 'lovage-bench-demo-'));
  let demo: ReturnType<typeof startDemo> | undefined;
  let dashboard: ChildProcess | undefined;
  let browser: Browser | undefined;
  try {
    buildDashboardIfStale();
    const gatewayPort = await freePort();
    const dashboardPort = await freePort();
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const dashboardUrl = `http://127.0.0.1:${dashboardPort}`;
    demo = startDemo({ port: gatewayPort, databaseUrl: databaseUrl(database), dataDir, dashboardUrl, rate: options.rate });
    await Promise.race([waitForHttp(`${gatewayUrl}/healthz`, 180_000), demo.exited]);
    dashboard = startDashboard(dashboardPort, gatewayUrl);
    await waitForHttp(`${dashboardUrl}/login`, 60_000);
    options.say(`  demo gateway on ${gatewayUrl}, dashboard on ${dashboardUrl}`);
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
    page.setDefaultNavigationTimeout(60_000);
    await signIn(page, dashboardUrl, admin);
    return await work({ browser, page, dashboardUrl, gatewayUrl });
  } finally {
    await browser?.close();
    await stopGroup(dashboard);
    await stopGroup(demo?.child);
    rmSync(dataDir, { recursive: true, force: true });
    await withClient(POSTGRES_URL, (client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
  }
}
