// The metrics table of docs/dashboard-and-api.md, the Grafana dashboard and the
// alert rules in docs/grafana name only series that a real gateway's /metrics
// serves, and the table lists every series it serves.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createGateway, type Gateway } from '@lovage/gateway';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './docs-samples.js';
import { embeddedStartMs } from './slow-starts.js';

const read = (file: string): Promise<string> => readFile(path.join(repoRoot, file), 'utf8');

/** Metric names in a PromQL expression; histogram series map to their base name. */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\blovage_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
}

/** The `route="…"` matchers of an expression: route patterns change when the API does. */
function routeMatchers(expr: string): string[] {
  return [...expr.matchAll(/\broute=~?"([^"]+)"/g)].map((m) => m[1]!);
}

/** Rows of the metrics table: exact names, or prefixes written `lovage_gateway_process_*`. */
async function documentedMetrics(): Promise<string[]> {
  const guide = await read('docs/dashboard-and-api.md');
  return [...guide.matchAll(/^\| `(lovage_[a-z0-9_]+\*?)` \|/gm)].map((m) => m[1]!);
}

const covers = (row: string, metric: string): boolean =>
  row.endsWith('*') ? metric.startsWith(row.slice(0, -1)) : row === metric;

interface Rule {
  alert: string;
  expr: string;
  labels?: { severity?: string };
  annotations?: { summary?: string };
}

let dataDir: string;
let gateway: Gateway;
/** The /metrics text after a refused sign-in and a health check. */
let exposition: string;
/** Names declared by `# TYPE` lines. */
let served: Set<string>;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'lovage-docs-metrics-'));
  gateway = await createGateway({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    databaseUrl: undefined,
    logLevel: 'silent',
    passwordCost: 1024,
    retention: false,
    security: { adminPassword: 'docs-metrics-password', metricsToken: undefined },
  });
  const refused = await fetch(`${gateway.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@lovage.local', password: 'wrong-password' }),
  });
  expect(refused.status).toBe(401);
  await fetch(`${gateway.url}/healthz`);
  exposition = await (await fetch(`${gateway.url}/metrics`)).text();
  served = new Set([...exposition.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]!));
}, embeddedStartMs);

afterAll(async () => {
  await gateway?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** What is wrong with one expression: unknown series, or a route no series carries. */
function problemsOf(where: string, expr: string): string[] {
  const problems = metricsIn(expr)
    .filter((metric) => !served.has(metric))
    .map((metric) => `${where}: ${metric} is not served by /metrics`);
  for (const route of routeMatchers(expr)) {
    const pattern = new RegExp(`^lovage_\\S*\\{[^}]*\\broute="(${route})"`, 'm');
    if (!pattern.test(exposition)) problems.push(`${where}: no series has route="${route}"`);
  }
  return problems;
}

describe('metrics in the docs', () => {
  it('documents every series the gateway serves, and only those', async () => {
    const rows = await documentedMetrics();
    expect(rows.length).toBeGreaterThan(0);
    expect(served.size).toBeGreaterThan(10);
    expect(
      rows.filter((row) => ![...served].some((metric) => covers(row, metric))),
      'rows matching no served series',
    ).toEqual([]);
    expect(
      [...served].filter((metric) => !rows.some((row) => covers(row, metric))),
      'served series missing from the table',
    ).toEqual([]);
  });

  it('has a Grafana dashboard whose panels query served series only', async () => {
    const dashboard = JSON.parse(await read('docs/grafana/lovage-dashboard.json')) as {
      title: string;
      panels: { title: string; targets: { expr: string }[] }[];
    };
    expect(dashboard.title).toBe('Lovage');
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(6);
    const problems: string[] = [];
    for (const panel of dashboard.panels) {
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets) problems.push(...problemsOf(`panel "${panel.title}"`, target.expr));
    }
    expect(problems).toEqual([]);
  });

  it('has Prometheus alert rules with a severity and a summary, on served series only', async () => {
    const rules = (
      parse(await read('docs/grafana/lovage-alerts.yaml')) as { groups: { rules: Rule[] }[] }
    ).groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining(['LovageGatewayDown', 'LovageGatewayServerErrors', 'LovageGatewaySignInAttack']),
    );
    const problems: string[] = [];
    for (const rule of rules) {
      expect(rule.labels?.severity, rule.alert).toMatch(/^(warning|critical)$/);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      problems.push(...problemsOf(`alert ${rule.alert}`, rule.expr));
    }
    expect(problems).toEqual([]);
  });

  it('catches a series the gateway does not serve, and a label value no series has', () => {
    expect(problemsOf('x', 'rate(lovage_no_such_series_total[5m])')).toEqual([
      'x: lovage_no_such_series_total is not served by /metrics',
    ]);
    expect(problemsOf('x', 'lovage_gateway_http_requests_total{route="/no/such/route"}')).toEqual([
      'x: no series has route="/no/such/route"',
    ]);
    expect(
      problemsOf('x', 'lovage_gateway_http_requests_total{route=~"/api/v1/auth/login|/healthz"}'),
    ).toEqual([]);
  });
});
