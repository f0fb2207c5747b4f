// Alert settings from the environment: LOVAGE_ALERT_INTERVAL_MS (time between two
// evaluations, default 30000, at least 1000) and LOVAGE_ALERT_WEBHOOK_TIMEOUT_MS
// (how long one webhook attempt may take, default 5000).
import { ConfigError } from '../config.js';
import { DEFAULT_ALERT_INTERVAL_MS, type AlertEvaluatorOptions } from './evaluator.js';

function whole(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new ConfigError(
      `${name}=${JSON.stringify(value)} is invalid: must be a whole number of milliseconds from ${min} to ${max}`,
    );
  }
  return number;
}

export function loadAlertConfig(
  env: Record<string, string | undefined> = process.env,
): AlertEvaluatorOptions {
  return {
    intervalMs: whole(env, 'LOVAGE_ALERT_INTERVAL_MS', DEFAULT_ALERT_INTERVAL_MS, 1_000, 86_400_000),
    delivery: { timeoutMs: whole(env, 'LOVAGE_ALERT_WEBHOOK_TIMEOUT_MS', 5_000, 100, 120_000) },
  };
}
