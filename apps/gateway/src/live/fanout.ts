// Several gateways on one database and one broker: each one's ingest applies a
// share of the events (the consumer group splits them), but every browser must
// see every change whichever gateway it is connected to. The fan-out publishes
// each batch this gateway committed on a Redis pub/sub channel, and hands its
// listeners the batches of every gateway: its own at once, the others' as they
// arrive on the channel. Bulk-job progress travels the same way, since a job
// runs on the gateway that started it.
//
// Pub/sub is at most once: a batch published while a gateway is disconnected
// from Redis is not shown live there (its rows are in the database, and the
// dashboard's next read has them). That is the live feed's contract anyway.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { BulkJob } from '../actions/schemas.js';
import type { AppliedBatch } from './live-feed.js';

type BatchListener = (batch: AppliedBatch) => void;
type JobListener = (job: BulkJob) => void;

export interface LiveFanoutOptions {
  /** redis:// URL of the server every gateway shares (the broker's is fine). */
  redisUrl: string;
  /** Pub/sub channel; gateways of one deployment must agree. Default `lovage:live:applied`. */
  channel?: string;
}

type Envelope = { from: string; batch: AppliedBatch } | { from: string; job: BulkJob };

export class LiveFanout {
  private readonly id = randomUUID();
  private readonly channel: string;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly listeners = new Set<BatchListener>();
  private readonly jobListeners = new Set<JobListener>();
  private readonly unsubscribeLocal: (() => void)[] = [];

  constructor(
    private readonly local: { onApplied(listener: BatchListener): () => void } | null,
    options: LiveFanoutOptions,
    private readonly logger: Logger,
  ) {
    this.channel = options.channel ?? 'lovage:live:applied';
    this.publisher = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    this.subscriber = new Redis(options.redisUrl, { lazyConnect: true });
    for (const client of [this.publisher, this.subscriber]) client.on('error', (error: Error) => logger.warn({ err: error }, 'live fan-out: redis error'));
  }

  async start(): Promise<void> {
    await Promise.all([this.publisher.connect(), this.subscriber.connect()]);
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      let envelope: Envelope;
      try {
        envelope = JSON.parse(message) as Envelope;
      } catch (error) {
        this.logger.warn({ err: error }, 'live fan-out: unreadable message ignored');
        return;
      }
      if (envelope.from === this.id) return;
      if ('batch' in envelope) this.deliver(this.listeners, envelope.batch);
      else this.deliver(this.jobListeners, envelope.job);
    });
    // ioredis subscribes again by itself after a reconnect.
    await this.subscriber.subscribe(this.channel);
    if (this.local) {
      this.unsubscribeLocal.push(
        this.local.onApplied((batch) => {
          this.deliver(this.listeners, batch);
          this.publish({ from: this.id, batch: pick(batch) });
        }),
      );
    }
  }

  /** Shares this gateway's bulk-job progress; the source returned reports every gateway's. */
  shareJobs(local: { onChange(listener: JobListener): () => void }): { onChange(listener: JobListener): () => void } {
    this.unsubscribeLocal.push(
      local.onChange((job) => {
        this.deliver(this.jobListeners, job);
        this.publish({ from: this.id, job });
      }),
    );
    return {
      onChange: (listener) => {
        this.jobListeners.add(listener);
        return () => this.jobListeners.delete(listener);
      },
    };
  }

  /** Batches committed by any gateway of the deployment. */
  onApplied(listener: BatchListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    for (const unsubscribe of this.unsubscribeLocal) unsubscribe();
    this.listeners.clear();
    this.jobListeners.clear();
    this.subscriber.disconnect();
    await this.publisher.quit().catch(() => this.publisher.disconnect());
  }

  private publish(envelope: Envelope): void {
    this.publisher.publish(this.channel, JSON.stringify(envelope)).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'live fan-out: publishing failed; other gateways miss this change live');
    });
  }

  private deliver<T>(listeners: Set<(value: T) => void>, value: T): void {
    for (const listener of listeners) {
      try {
        listener(value);
      } catch (error) {
        this.logger.error({ err: error }, 'live fan-out: a listener failed');
      }
    }
  }
}

/** Only what the live feed reads travels (a BatchResult carries more). */
function pick(batch: AppliedBatch): AppliedBatch {
  return {
    events: batch.events,
    tasks: batch.tasks,
    attempts: batch.attempts,
    workers: batch.workers,
    scheduleRuns: batch.scheduleRuns,
    scheduleChanges: batch.scheduleChanges,
    logs: batch.logs,
  };
}
