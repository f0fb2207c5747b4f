// The queue sampler's setting from the environment (see loadQueueSamplerConfig).
import { envMilliseconds } from '../config.js';
import { DEFAULT_SAMPLE_INTERVAL_MS, type QueueSamplerOptions } from './queue-sampler.js';

/**
 * LOVAGE_QUEUE_SAMPLE_INTERVAL_MS: time between samples, from 1 s to a minute
 * (the default). History keeps one row per queue per minute, which a later
 * sample of the same minute overwrites: sampling more often makes a new queue's
 * first row appear sooner and each minute's row its latest depth. Longer than a
 * minute would leave minutes without a row, so it is refused.
 */
export function loadQueueSamplerConfig(env: Record<string, string | undefined> = process.env): Required<QueueSamplerOptions> {
  return { intervalMs: envMilliseconds(env, 'LOVAGE_QUEUE_SAMPLE_INTERVAL_MS', DEFAULT_SAMPLE_INTERVAL_MS, 1_000, DEFAULT_SAMPLE_INTERVAL_MS) };
}
