// Retention settings from the environment: LOVAGE_RETENTION (how long task
// records are kept, default 7d), LOVAGE_RETENTION_MAX_TASKS (a row budget,
// default 10,000,000), LOVAGE_METRICS_RETENTION (per-minute metric buckets and
// queue depth samples, default 90d, then rolled up into hours) and
// LOVAGE_METRICS_ROLLUP_RETENTION (those hourly rollups, default 730d),
// LOVAGE_ALERT_RETENTION (alert notifications in the history, default 90d);
// LOVAGE_TASK_LOG_LIMIT bounds each task's log lines (the newest kept, default
// 1,000), enforced by the ingest as it writes them.
import { toMs } from '@lovage/engine';
import { ConfigError } from '../config.js';
import type { RetentionOptions } from './retention.js';

function duration(env: Record<string, string | undefined>, name: string, fallback: string): number {
  const value = env[name];
  const text = value === undefined || value === '' ? fallback : value;
  let ms: number;
  try {
    ms = toMs(/^\d+$/.test(text) ? Number(text) : text, name);
  } catch (error) {
    throw new ConfigError(`${name}=${JSON.stringify(value)} is invalid: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (ms < 60_000) throw new ConfigError(`${name}=${JSON.stringify(value)} is invalid: keep at least one minute`);
  return ms;
}

export function loadRetentionConfig(env: Record<string, string | undefined> = process.env): RetentionOptions {
  const budget = env.LOVAGE_RETENTION_MAX_TASKS;
  const maxTasks = budget === undefined || budget === '' ? 10_000_000 : Number(budget);
  if (!Number.isInteger(maxTasks) || maxTasks < 1) {
    throw new ConfigError(`LOVAGE_RETENTION_MAX_TASKS=${JSON.stringify(budget)} is invalid: must be a positive whole number`);
  }
  return {
    taskRetentionMs: duration(env, 'LOVAGE_RETENTION', '7d'),
    metricRetentionMs: duration(env, 'LOVAGE_METRICS_RETENTION', '90d'),
    rollupRetentionMs: duration(env, 'LOVAGE_METRICS_ROLLUP_RETENTION', '730d'),
    alertRetentionMs: duration(env, 'LOVAGE_ALERT_RETENTION', '90d'),
    maxTasks,
  };
}

export function loadTaskLogLimit(env: Record<string, string | undefined> = process.env): number {
  const value = env.LOVAGE_TASK_LOG_LIMIT;
  const limit = value === undefined || value === '' ? 1_000 : Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1_000_000) {
    throw new ConfigError(`LOVAGE_TASK_LOG_LIMIT=${JSON.stringify(value)} is invalid: must be a whole number from 1 to 1,000,000`);
  }
  return limit;
}
