// A Python Celery cluster's events into the monitor's database: PSUBSCRIBE to
// its `celeryev` channels, decode each message (one event or a task.multi list)
// with the engine's codec, translate to Lovage's events (celery-translate.ts)
// and write them through the same applyBatch as Lovage's own stream, so state
// precedence, out-of-order events, metrics and the live feed work alike.
//
// Pub/sub keeps nothing: events published while the gateway is away are not
// seen. Each (re)subscription is announced to `onSubscribed` listeners with the
// instant events may have been missed since, and celery/celery-cluster.ts
// reconciles from the result backend and the workers' inspect replies.
// Batches are bounded in time and size (flushMs, maxBatch); while one batch is
// written the next one gathers, and a database that does not answer is
// retried, keeping at most maxBuffered events (the oldest are dropped beyond it,
// with a log line, as a pub/sub consumer that falls behind would lose them).
import { CeleryAmqpMonitor, decodeEventMessage, KombuLayout } from '@lovage/engine/celery';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { LovageEvent } from '@lovage/engine';
import type { CeleryClusterConfig } from '../config.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { applyBatch } from './apply-batch.js';
import type { BatchListener, BatchResult, WorkerSnapshot } from './batch-result.js';
import { CeleryEventTranslator } from './celery-translate.js';
import { markSilentWorkersOffline } from './offline-sweep.js';

/** The longest a cluster whose broker does not answer holds up the gateway's start. */
const START_WAIT_MS = 5_000;

/** After this many failed writes of one batch, it is written event by event. */
const ATTEMPTS_BEFORE_SPLIT = 5;

export interface CeleryEventSourceOptions {
  /** Longest wait before gathered events are written. Default 100 ms. */
  flushMs?: number;
  /** Most events per written batch. Default 5,000 (1,000 ingested about 10k events/s in bench:celery-ingest, 5,000 about 14.5k). */
  maxBatch?: number;
  /**
   * Most batches being written at once, each in its own transaction. Default 3:
   * while one batch waits on Postgres the next is merged, and a batch takes each
   * task's lock only for its own tasks (bench:celery-ingest: about 17-21k events/s
   * with 1, 24-25k with 2, 26-27k with 3).
   */
  writers?: number;
  /** Most events held while the database is slow or down. Default 100,000. */
  maxBuffered?: number;
  /** How often this cluster's workers that stopped sending heartbeats are marked offline. Default 2 s. */
  offlineSweepMs?: number;
}

export interface CeleryEventSourceStatus {
  cluster: string;
  state: 'running' | 'failing' | 'stopped';
  /** Events written by this process. */
  eventsApplied: number;
  /** Messages that could not be decoded (each logged once, then skipped). */
  malformed: number;
  /** Events dropped because the buffer was full. */
  dropped: number;
  /** Epoch ms of the newest event written, null before any. */
  lastEventAt: number | null;
  lastError: string | null;
}

/** The subscription is in place (first start, or back after the broker connection dropped). */
export interface Subscribed {
  /** Epoch ms. */
  at: number;
  /** The newest event written before the connection dropped (epoch ms); null when this process saw none. */
  missedSince: number | null;
  /** True for the first subscription of this process. */
  first: boolean;
}

export class CeleryEventSource {
  readonly cluster: string;
  private readonly layout: KombuLayout;
  private readonly translator = new CeleryEventTranslator();
  private readonly listeners = new Set<BatchListener>();
  private readonly subscribedListeners = new Set<(subscribed: Subscribed) => void>();
  /** When the broker connection last dropped (epoch ms), until it is back. */
  private droppedAt: number | null = null;
  private readonly flushMs: number;
  private readonly maxBatch: number;
  private readonly writers: number;
  private readonly maxBuffered: number;
  private subscriber: Redis | undefined;
  private amqp: CeleryAmqpMonitor | undefined;
  private buffer: unknown[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Heartbeat interval (ms) of each worker seen, from its events' `freq`. */
  private readonly heartbeatMs = new Map<string, number>();
  private writing: Promise<void> | undefined;
  private stopping = false;
  private readonly state: CeleryEventSourceStatus;

  constructor(
    private readonly config: CeleryClusterConfig,
    private readonly prisma: PrismaClient,
    private readonly logger: Logger,
    private readonly options: CeleryEventSourceOptions = {},
  ) {
    this.cluster = config.name;
    this.layout = new KombuLayout({ globalKeyPrefix: config.keyPrefix, db: config.db });
    this.flushMs = options.flushMs ?? 100;
    this.maxBatch = options.maxBatch ?? 5_000;
    this.writers = options.writers ?? 3;
    this.maxBuffered = options.maxBuffered ?? 100_000;
    this.state = { cluster: config.name, state: 'stopped', eventsApplied: 0, malformed: 0, dropped: 0, lastEventAt: null, lastError: null };
  }

  /** Subscribes to the cluster's events; resolves once the subscription is in place. */
  async start(): Promise<void> {
    if (this.config.transport === 'amqp') return this.startAmqp();
    if (this.subscriber) return;
    // ioredis re-subscribes by itself after a reconnect; errors are logged, never thrown at the gateway.
    const subscriber = new Redis(this.config.url, { lazyConnect: true, maxRetriesPerRequest: null, connectionName: `lovage-celeryev-${this.cluster}` });
    this.subscriber = subscriber;
    let reported = false;
    subscriber.on('error', (error: Error) => {
      if (!this.stopping) this.state.state = 'failing';
      this.droppedAt ??= Date.now();
      this.state.lastError = error.message;
      if (reported) return;
      reported = true;
      this.logger.warn({ err: error, cluster: this.cluster }, 'celery events: the broker connection failed; reconnecting');
    });
    subscriber.on('close', () => {
      if (!this.stopping) this.droppedAt ??= Date.now();
    });
    subscriber.on('ready', () => {
      // Back after an outage (ioredis subscribes again on its own); the first connect is `start`'s.
      if (reported && !this.stopping) this.state.state = 'running';
      reported = false;
      if (subscribedOnce && this.droppedAt !== null && !this.stopping) {
        this.droppedAt = null;
        this.announce(false);
      }
    });
    subscriber.on('pmessage', (_pattern: string, _channel: string, message: string) => this.receive(message));
    this.sweepTimer = setInterval(() => {
      this.sweepOffline().catch((error: unknown) => this.logger.warn({ err: error, cluster: this.cluster }, 'celery events: offline sweep failed'));
    }, this.options.offlineSweepMs ?? 2_000);
    this.sweepTimer.unref();
    // The subscription (which opens the lazy connection) waits in ioredis's offline queue until the broker answers: a cluster that
    // is down at start delays the gateway by at most START_WAIT_MS, then is watched once it is up.
    let subscribedOnce = false;
    const subscribed = subscriber.psubscribe(this.layout.eventPattern).then(
      () => {
        subscribedOnce = true;
        this.droppedAt = null;
        this.announce(true);
        this.state.state = 'running';
        this.logger.info({ cluster: this.cluster, pattern: this.layout.eventPattern }, 'celery events: watching the cluster');
        return true;
      },
      (error: unknown) => {
        if (!this.stopping) this.logger.error({ err: error, cluster: this.cluster }, 'celery events: could not subscribe to the events');
        return false;
      },
    );
    await this.awaitSubscribed(subscribed);
  }

  /**
   * A cluster on RabbitMQ: a `celeryev.<id>` queue of the gateway's own, bound
   * to the `celeryev` topic exchange with `#` (auto-delete, Celery's TTLs), as
   * `celery events` does. A lost connection is announced like a pub/sub break
   * (events sent meanwhile went to no queue), so the cluster reconciles.
   */
  private async startAmqp(): Promise<void> {
    if (this.amqp) return;
    const amqp = new CeleryAmqpMonitor(this.config.url, this.logger);
    this.amqp = amqp;
    this.sweepTimer = setInterval(() => {
      this.sweepOffline().catch((error: unknown) => this.logger.warn({ err: error, cluster: this.cluster }, 'celery events: offline sweep failed'));
    }, this.options.offlineSweepMs ?? 2_000);
    this.sweepTimer.unref();
    const subscribed = amqp
      .watchEvents(
        (message) => this.receive(message),
        (first) => {
          if (this.stopping) return;
          this.droppedAt = null;
          this.state.state = 'running';
          this.state.lastError = null;
          this.announce(first);
          if (first) this.logger.info({ cluster: this.cluster }, 'celery events: watching the cluster (celeryev on RabbitMQ)');
        },
      )
      .then(
        () => true,
        (error: unknown) => {
          if (!this.stopping) this.logger.error({ err: error, cluster: this.cluster }, 'celery events: could not subscribe to the events');
          return false;
        },
      );
    await this.awaitSubscribed(subscribed);
  }

  /** Waits up to START_WAIT_MS for the first subscription: a broker that does not answer yet delays the start no longer, and is watched once it does. */
  private async awaitSubscribed(subscribed: Promise<boolean>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), START_WAIT_MS);
    });
    const ready = await Promise.race([subscribed, waited]);
    clearTimeout(timer);
    if (!ready) this.logger.warn({ cluster: this.cluster }, 'celery events: the broker does not answer yet; its events are watched once it does');
  }

  /** Calls `listener` after each written batch with what it changed (the same shape as the stream ingest's). */
  onApplied(listener: BatchListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Calls `listener` each time the subscription is (again) in place: events may have been missed before. */
  onSubscribed(listener: (subscribed: Subscribed) => void): () => void {
    this.subscribedListeners.add(listener);
    return () => {
      this.subscribedListeners.delete(listener);
    };
  }

  private announce(first: boolean): void {
    const subscribed: Subscribed = { at: Date.now(), missedSince: this.state.lastEventAt, first };
    for (const listener of this.subscribedListeners) {
      try {
        listener(subscribed);
      } catch (error) {
        this.logger.error({ err: error, cluster: this.cluster }, 'celery events: a subscription listener failed');
      }
    }
  }

  status(): CeleryEventSourceStatus {
    return { ...this.state };
  }

  /** Unsubscribes, writes what was gathered, and stops. */
  async close(): Promise<void> {
    this.stopping = true;
    clearInterval(this.sweepTimer);
    this.subscriber?.disconnect();
    await this.amqp?.close();
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
    if (this.buffer.length > 0) await this.drain().catch((error: unknown) => this.logger.warn({ err: error, cluster: this.cluster }, 'celery events: events gathered before stop were not written'));
    this.state.state = 'stopped';
  }

  private receive(message: string): void {
    let events;
    try {
      events = decodeEventMessage(message);
    } catch (error) {
      this.state.malformed++;
      this.logger.warn({ err: error, cluster: this.cluster, message: message.slice(0, 500) }, 'celery events: skipped a message that is not a Celery event');
      return;
    }
    for (const event of events) {
      const translated = this.translator.translate(event);
      if (translated) this.buffer.push(translated);
    }
    if (this.buffer.length > this.maxBuffered) {
      const excess = this.buffer.length - this.maxBuffered;
      this.buffer.splice(0, excess);
      this.state.dropped += excess;
      this.logger.warn({ cluster: this.cluster, dropped: excess }, 'celery events: the database is behind; dropped the oldest events');
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.writing) return;
    if (this.buffer.length >= this.maxBatch) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.startDrain();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      if (!this.writing) this.startDrain();
    }, this.flushMs);
  }

  private startDrain(): void {
    this.writing = this.drain().finally(() => {
      this.writing = undefined;
      if (this.buffer.length > 0 && !this.stopping) this.schedule();
    });
  }

  /**
   * Writes the buffer in batches of maxBatch, up to `writers` of them at once.
   * Each batch is one transaction whose merge does not depend on the order
   * batches commit in (events carry their own times; see applyBatch), and is
   * reported to the listeners as soon as it commits: held back behind a slower
   * batch, its worker rows could reach the live feed after newer ones from
   * `inspect stats`. When a batch fails, the batches still being written
   * finish, the failed ones go back to the front of the buffer, and the rest
   * is written one batch at a time (retryInTurn).
   */
  private async drain(): Promise<void> {
    const writing: { batch: unknown[]; written: Promise<void> }[] = [];
    const failed: unknown[][] = [];
    let firstError: unknown;
    for (;;) {
      // No new batch once one failed: the ones being written finish, then retryInTurn takes over.
      while (failed.length === 0 && writing.length < this.writers && this.buffer.length > 0) {
        const batch = this.buffer.splice(0, this.maxBatch);
        const written = this.apply(batch).then((result) => this.committed(batch, result));
        // Awaited below, in turn; this keeps a batch that fails before its turn from being an unhandled rejection.
        written.catch(() => undefined);
        writing.push({ batch, written });
      }
      const next = writing.shift();
      if (!next) break;
      const { batch, written } = next;
      try {
        await written;
      } catch (error) {
        firstError ??= error;
        failed.push(batch);
      }
    }
    if (failed.length === 0) return;
    const unwritten = failed.flat();
    this.buffer.unshift(...unwritten);
    this.failing(firstError, unwritten.length);
    if (this.stopping) throw firstError;
    await this.retryInTurn();
  }

  /**
   * Writes the buffer one batch at a time. A batch that keeps failing while the
   * database answers may hold one event it refuses: it is then written event by
   * event and the refused ones are skipped with a log line. While the database
   * does not answer, nothing is skipped: the batch is retried.
   */
  private async retryInTurn(): Promise<void> {
    // The batch at the front has failed once already (in drain).
    let failures = 1;
    let delay = 100;
    while (this.buffer.length > 0) {
      if (failures > 0) {
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 5_000);
      }
      const batch = this.buffer.slice(0, this.maxBatch);
      try {
        const result = failures < ATTEMPTS_BEFORE_SPLIT ? await this.apply(batch) : await this.applyOneByOne(batch);
        this.buffer.splice(0, batch.length);
        this.committed(batch, result);
        failures = 0;
        delay = 100;
      } catch (error) {
        failures++;
        this.failing(error, batch.length);
        if (this.stopping) throw error;
      }
    }
  }

  private failing(error: unknown, events: number): void {
    this.state.state = 'failing';
    this.state.lastError = error instanceof Error ? error.message : String(error);
    this.logger.error({ err: error, cluster: this.cluster, events }, 'celery events: writing a batch failed; retrying it');
  }

  /**
   * Writes events that did not come from the stream (reconciliation) through
   * the same idempotent apply as the stream's, and tells the batch listeners.
   */
  async applyReconciled(events: readonly LovageEvent[]): Promise<BatchResult> {
    const result = await this.apply(events);
    if (result.events > 0) this.notify(result);
    return result;
  }

  private apply(events: readonly unknown[]): Promise<BatchResult> {
    return applyBatch(this.prisma, events, undefined, { cluster: this.cluster });
  }

  private async applyOneByOne(batch: readonly unknown[]): Promise<BatchResult> {
    await this.prisma.$queryRawUnsafe('SELECT 1');
    const total: BatchResult = { events: 0, invalid: 0, tasks: [], attempts: [], workers: [], scheduleRuns: [], scheduleChanges: [] };
    for (const event of batch) {
      try {
        const one = await this.apply([event]);
        total.events += one.events;
        total.invalid += one.invalid;
        total.tasks.push(...one.tasks);
        total.attempts.push(...one.attempts);
        total.workers.push(...one.workers);
      } catch (error) {
        total.invalid++;
        this.logger.error({ err: error, cluster: this.cluster, event }, 'celery events: skipped an event the database refused');
      }
    }
    return total;
  }

  private committed(batch: unknown[], result: BatchResult): void {
    this.state.eventsApplied += result.events;
    this.state.state = 'running';
    this.state.lastError = null;
    for (const event of batch as LovageEvent[]) {
      if (this.state.lastEventAt === null || event.timestamp > this.state.lastEventAt) this.state.lastEventAt = event.timestamp;
      if (event.type === 'worker-online' || event.type === 'worker-heartbeat') this.heartbeatMs.set(event.hostname, event.heartbeatInterval);
    }
    if (result.invalid > 0) this.logger.warn({ cluster: this.cluster, invalid: result.invalid }, 'celery events: skipped events without the fields the monitor needs');
    this.notify(result);
  }

  /** Marks this cluster's workers offline once they miss their heartbeats (Celery workers send one every `freq` s). */
  async sweepOffline(): Promise<string[]> {
    const workers = await markSilentWorkersOffline(this.prisma, this.heartbeatMs, 2_000, this.cluster);
    if (workers.length > 0) {
      this.logger.info({ cluster: this.cluster, workers: workers.map((w) => w.hostname) }, 'celery events: workers missed their heartbeats; marked offline');
      this.announceWorkers(workers);
    }
    return workers.map((w) => w.hostname);
  }

  /** Tells the batch listeners (the live feed) about worker rows changed outside the events (`inspect stats`). */
  announceWorkers(workers: WorkerSnapshot[]): void {
    if (workers.length > 0) this.notify({ events: 0, invalid: 0, tasks: [], attempts: [], workers, scheduleRuns: [], scheduleChanges: [] });
  }

  private notify(result: BatchResult): void {
    for (const listener of this.listeners) {
      try {
        listener(result);
      } catch (error) {
        this.logger.error({ err: error }, 'celery events: a batch listener failed');
      }
    }
  }
}
