// Alert settings from the environment: LOVAGE_ALERT_INTERVAL_MS (time between two
// evaluations, default 30000, at least 1000) and LOVAGE_ALERT_WEBHOOK_TIMEOUT_MS
// (how long one webhook attempt may take, default 5000).
import { envMilliseconds } from '../config.js';
import { DEFAULT_ALERT_INTERVAL_MS, type AlertEvaluatorOptions } from './evaluator.js';

export function loadAlertConfig(
  env: Record<string, string | undefined> = process.env,
): AlertEvaluatorOptions {
  return {
    intervalMs: envMilliseconds(env, 'LOVAGE_ALERT_INTERVAL_MS', DEFAULT_ALERT_INTERVAL_MS, 1_000, 86_400_000),
    delivery: { timeoutMs: envMilliseconds(env, 'LOVAGE_ALERT_WEBHOOK_TIMEOUT_MS', 5_000, 100, 120_000) },
  };
}
