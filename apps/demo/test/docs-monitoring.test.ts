// The Grafana dashboard and the alert rules in docs/grafana parse, and query
// only the metrics that docs/dashboard-and-api.md documents.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './docs-samples.js';

const read = (file: string): Promise<string> => readFile(path.join(repoRoot, file), 'utf8');

/** Metric names in a PromQL expression (histogram series map to their base name). */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\blovage_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
}

async function documentedMetrics(): Promise<Set<string>> {
  const guide = await read('docs/dashboard-and-api.md');
  return new Set([...guide.matchAll(/^\| `(lovage_[a-z_]+)` \|/gm)].map((m) => m[1]!));
}

interface Rule {
  alert: string;
  expr: string;
  labels?: { severity?: string };
  annotations?: { summary?: string };
}

describe('docs/grafana', () => {
  it('has a Grafana dashboard whose panels query documented metrics only', async () => {
    const dashboard = JSON.parse(await read('docs/grafana/lovage-dashboard.json')) as {
      title: string;
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const documented = await documentedMetrics();
    expect(dashboard.title).toBe('Lovage');
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(6);
    for (const panel of dashboard.panels) {
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets) {
        for (const metric of metricsIn(target.expr)) expect(documented, `${panel.title}: ${metric}`).toContain(metric);
      }
    }
  });

  it('has Prometheus alert rules with a severity and a summary, on documented metrics only', async () => {
    const rules = (parse(await read('docs/grafana/lovage-alerts.yaml')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
    const documented = await documentedMetrics();
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(['LovageNoWorkers', 'LovageHighFailureRatio', 'LovageQueueBacklog']));
    for (const rule of rules) {
      expect(rule.labels?.severity, rule.alert).toMatch(/^(warning|critical)$/);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      for (const metric of metricsIn(rule.expr)) expect(documented, `${rule.alert}: ${metric}`).toContain(metric);
    }
  });
});
