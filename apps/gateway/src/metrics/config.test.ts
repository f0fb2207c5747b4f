import { describe, expect, it } from 'vitest';
import { loadQueueSamplerConfig } from './config.js';

describe('loadQueueSamplerConfig', () => {
  it('samples once a minute by default', () => {
    expect(loadQueueSamplerConfig({})).toEqual({ intervalMs: 60_000 });
  });

  it('reads LOVAGE_QUEUE_SAMPLE_INTERVAL_MS', () => {
    expect(loadQueueSamplerConfig({ LOVAGE_QUEUE_SAMPLE_INTERVAL_MS: '2000' })).toEqual({ intervalMs: 2_000 });
  });

  it('refuses a value that is not a whole number from a second to a minute, naming the variable', () => {
    for (const value of ['10s', '999', '60001']) {
      expect(() => loadQueueSamplerConfig({ LOVAGE_QUEUE_SAMPLE_INTERVAL_MS: value })).toThrow(
        `LOVAGE_QUEUE_SAMPLE_INTERVAL_MS=${JSON.stringify(value)} is invalid: must be a whole number of milliseconds from 1000 to 60000`,
      );
    }
  });
});
