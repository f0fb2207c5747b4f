// Samples every queue's depth once a minute into queue_samples, so the Queues
// page can chart depth and the oldest waiting message over days, not only since
// the page opened. LOVAGE_QUEUE_SAMPLE_INTERVAL_MS changes how often (config.ts).
//
// Several gateways may sample the same broker: a row is keyed by (cluster,
// queue, minute) and a second sample of the same minute overwrites the first
// (both read the same broker within the minute), so running two gateways never
// doubles a depth.
import type { Logger } from 'pino';
import { BackgroundLoop } from '../background-loop.js';
import type { PrismaClient } from '../generated/prisma/client.js';

export interface QueueDepth {
  /** The watched Celery cluster's name, or '' for the gateway's own broker. */
  cluster: string;
  queue: string;
  ready: number;
  delayed: number;
  reserved: number;
  /** Seconds the oldest ready message has waited, or null when unknown. */
  oldestAgeSeconds: number | null;
}

export const DEFAULT_SAMPLE_INTERVAL_MS = 60_000;

export interface QueueSamplerOptions {
  /** Time between samples. Default 60 s (one row per queue per minute). */
  intervalMs?: number;
}

const UPSERT_SAMPLES = `
INSERT INTO queue_samples (minute, cluster, queue, ready, delayed, reserved, oldest_age)
SELECT to_timestamp(r.minute / 1000.0), r.cluster, r.queue, r.ready, r.delayed, r.reserved, r.oldest_age
  FROM jsonb_to_recordset($1::jsonb) AS r(minute float8, cluster text, queue text, ready int, delayed int, reserved int, oldest_age float8)
ON CONFLICT (cluster, queue, minute) DO UPDATE SET
  ready = EXCLUDED.ready, delayed = EXCLUDED.delayed, reserved = EXCLUDED.reserved, oldest_age = EXCLUDED.oldest_age`;

export class QueueSampler {
  private readonly loop: BackgroundLoop;

  constructor(
    private readonly prisma: Pick<PrismaClient, '$executeRawUnsafe'>,
    private readonly read: () => Promise<QueueDepth[]>,
    logger: Logger,
    options: QueueSamplerOptions = {},
  ) {
    const intervalMs = options.intervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS;
    this.loop = new BackgroundLoop(() => this.sampleOnce(), logger, { intervalMs, firstDelayMs: Math.min(intervalMs, 1_000), what: 'queue sampler' });
  }

  /** Samples soon after start, then every interval. */
  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Reads every queue's depth and stores it under the minute of `now`; returns how many queues it stored. */
  async sampleOnce(now = Date.now()): Promise<number> {
    const depths = await this.read();
    if (depths.length === 0) return 0;
    const minute = Math.floor(now / 60_000) * 60_000;
    // One row per key even if a reader listed a queue twice (the last one wins), so the upsert never meets its own row.
    const rows = new Map(depths.map((d) => [`${d.cluster}\u0001${d.queue}`, d]));
    await this.prisma.$executeRawUnsafe(
      UPSERT_SAMPLES,
      JSON.stringify(
        [...rows.values()].map((d) => ({
          minute,
          cluster: d.cluster,
          queue: d.queue,
          ready: d.ready,
          delayed: d.delayed,
          reserved: d.reserved,
          oldest_age: d.oldestAgeSeconds,
        })),
      ),
    );
    return rows.size;
  }
}
