import { describe, expect, it } from 'vitest';
import { loadAlertConfig } from './config.js';

describe('loadAlertConfig', () => {
  it('defaults to a pass every 30 s and a 5 s webhook timeout', () => {
    expect(loadAlertConfig({})).toEqual({ intervalMs: 30_000, delivery: { timeoutMs: 5_000 } });
  });

  it('reads LOVAGE_ALERT_INTERVAL_MS and LOVAGE_ALERT_WEBHOOK_TIMEOUT_MS', () => {
    expect(
      loadAlertConfig({ LOVAGE_ALERT_INTERVAL_MS: '2000', LOVAGE_ALERT_WEBHOOK_TIMEOUT_MS: '800' }),
    ).toEqual({ intervalMs: 2_000, delivery: { timeoutMs: 800 } });
  });

  it('refuses a value that is not a whole number in range, naming the variable', () => {
    expect(() => loadAlertConfig({ LOVAGE_ALERT_INTERVAL_MS: '30s' })).toThrow(
      /^LOVAGE_ALERT_INTERVAL_MS="30s" is invalid: must be a whole number of milliseconds from 1000/,
    );
    expect(() => loadAlertConfig({ LOVAGE_ALERT_INTERVAL_MS: '10' })).toThrow(
      /LOVAGE_ALERT_INTERVAL_MS="10" is invalid/,
    );
    expect(() => loadAlertConfig({ LOVAGE_ALERT_WEBHOOK_TIMEOUT_MS: '-1' })).toThrow(
      /LOVAGE_ALERT_WEBHOOK_TIMEOUT_MS="-1" is invalid/,
    );
  });
});
