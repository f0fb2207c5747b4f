// The ingest: reads the engine's event stream through a consumer group and
// writes it into Postgres, one transaction per batch, acknowledging the stream
// only after the commit.
//
// Why nothing is lost or doubled across a restart: a batch is acknowledged
// (XACK) only once its transaction committed, so a gateway that dies before the
// ack gets the batch again on restart (same group and consumer name: the engine
// hands back this consumer's pending entries first). A batch that committed but
// was not acknowledged is applied twice, which changes nothing: every write is
// an idempotent merge (see apply-batch.ts).
//
// STABLE API for the live feed and the actions module: `onApplied(listener)`
// (returns an unsubscribe function; the listener gets a BatchResult, see
// batch-result.ts, after every committed batch and after each offline sweep
// that changed workers), `status()`, `lag()`, `start()`, `close()`. Keep these
// names and shapes; add to them freely.
import type { Lovage, EventBatch } from '@lovage/engine';
import type { Logger } from 'pino';
import type { PrismaClient } from '../generated/prisma/client.js';
import { applyBatch, compareStreamIds } from './apply-batch.js';
import type { BatchListener, BatchResult } from './batch-result.js';
import { markSilentWorkersOffline } from './offline-sweep.js';

export type { BatchListener, BatchResult } from './batch-result.js';

/** After this many failed writes of one batch, it is written event by event and the events that still fail are skipped. */
const ATTEMPTS_BEFORE_SPLIT = 5;

export interface IngestOptions {
  /** Consumer group on the event stream. Default `lovage-gateway`. */
  group?: string;
  /**
   * This gateway's name in the group. Keep it stable across restarts: the
   * entries a consumer read and never acknowledged come back only to a
   * consumer of the same name. Default `gateway`.
   */
  consumer?: string;
  /** Where a new group starts: '0' (everything the stream still holds, the default) or '$'. */
  fromId?: string;
  /** Stream entries per batch (an entry is one producer flush: up to 1,000 events). Default 100. */
  count?: number;
  /** Longest wait on an empty stream before checking for a stop. Default 500 ms. */
  blockMs?: number;
  /** How often workers that stopped sending heartbeats are marked offline. Default 2 s. */
  offlineSweepMs?: number;
  /** Heartbeat interval assumed for workers whose heartbeat was not seen yet. Default 2 s. */
  defaultHeartbeatMs?: number;
  /** Log lines kept per task, the newest (LOVAGE_TASK_LOG_LIMIT). Default 1,000. */
  taskLogLimit?: number;
}

export interface IngestStatus {
  state: 'running' | 'failing' | 'stopped';
  group: string;
  consumer: string;
  /** The newest stream id committed to the database. */
  lastEventId: string | null;
  /** The newest event timestamp committed (epoch ms). */
  lastEventAt: number | null;
  /** Events applied by this process. */
  eventsApplied: number;
  batches: number;
  lastError: string | null;
}

export interface IngestLag extends IngestStatus {
  /** The newest id in the stream. */
  streamLastId: string;
  /** True when everything in the stream is in the database. */
  caughtUp: boolean;
  /** Stream time between the newest entry and the newest ingested one (ms); null before anything was ingested. */
  behindMs: number | null;
  /** Age of the newest ingested event (ms), null before any. */
  lastEventAgeMs: number | null;
}

const streamMs = (id: string): number => Number(id.split('-')[0] ?? 0);

export class Ingest {
  readonly group: string;
  readonly consumer: string;
  private readonly stream: string;
  private readonly controller = new AbortController();
  private running: Promise<void> | undefined;
  private abandoned = false;
  private stopping = false;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly heartbeatMs = new Map<string, number>();
  private readonly listeners = new Set<BatchListener>();
  private readonly state: IngestStatus;

  constructor(
    private readonly app: Lovage,
    private readonly prisma: PrismaClient,
    private readonly logger: Logger,
    private readonly options: IngestOptions = {},
  ) {
    this.group = options.group ?? 'lovage-gateway';
    this.consumer = options.consumer ?? 'gateway';
    this.stream = `${app.config.prefix}events#${this.group}`;
    this.state = { state: 'stopped', group: this.group, consumer: this.consumer, lastEventId: null, lastEventAt: null, eventsApplied: 0, batches: 0, lastError: null };
  }

  /** Starts consuming (in the background). */
  async start(): Promise<void> {
    if (this.running) return;
    const cursor = await this.prisma.ingestCursor.findUnique({ where: { stream: this.stream } });
    this.state.lastEventId = cursor?.lastEventId ?? null;
    this.state.state = 'running';
    this.running = this.loop();
    const sweepMs = this.options.offlineSweepMs ?? 2_000;
    this.sweepTimer = setInterval(() => {
      this.sweepOffline().catch((error: unknown) => this.logger.warn({ err: error }, 'ingest: offline sweep failed'));
    }, sweepMs);
    this.sweepTimer.unref();
  }

  /**
   * Calls `listener` after each committed (and acknowledged) batch with what it
   * changed, and after an offline sweep that marked workers offline. Listeners
   * run synchronously in the ingest loop: keep them cheap (coalesce, then emit
   * later). A listener that throws is logged and does not stop the ingest.
   * Returns the unsubscribe function.
   */
  onApplied(listener: BatchListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  status(): IngestStatus {
    return { ...this.state };
  }

  /** Status plus how far behind the stream the database is (one Redis round trip). */
  async lag(): Promise<IngestLag> {
    const streamLastId = await this.app.events.lastId();
    const last = this.state.lastEventId;
    const caughtUp = streamLastId === '0-0' || (last !== null && compareStreamIds(last, streamLastId) >= 0);
    return {
      ...this.status(),
      streamLastId,
      caughtUp,
      behindMs: caughtUp ? 0 : last === null ? null : Math.max(0, streamMs(streamLastId) - streamMs(last)),
      lastEventAgeMs: this.state.lastEventAt === null ? null : Math.max(0, Date.now() - this.state.lastEventAt),
    };
  }

  /** Finishes the batch in hand (commit and acknowledge), then stops. */
  async close(): Promise<void> {
    this.stopping = true;
    this.controller.abort();
    clearInterval(this.sweepTimer);
    await this.running;
    this.state.state = 'stopped';
  }

  /**
   * Stops at once as a crash would: a batch in flight is never acknowledged
   * (its transaction may still commit), so the next consumer of this name gets it again.
   */
  async abandon(): Promise<void> {
    this.abandoned = true;
    await this.close();
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.consume();
      } catch (error) {
        if (this.stopping) break;
        this.fail(error, 'ingest: reading the event stream failed; retrying');
        await this.pause(1_000);
      }
    }
  }

  private async consume(): Promise<void> {
    const batches = this.app.events.subscribe({
      group: this.group,
      consumer: this.consumer,
      fromId: this.options.fromId ?? '0',
      count: this.options.count ?? 100,
      blockMs: this.options.blockMs ?? 500,
      signal: this.controller.signal,
    });
    try {
      let next = batches.next();
      for (;;) {
        const { value: batch, done } = await next;
        if (done || this.abandoned) break;
        // Read the next batch from Redis while this one is written to Postgres.
        next = batches.next();
        next.catch(() => undefined);
        await this.handle(batch);
        if (this.abandoned) break;
      }
    } finally {
      await batches.return(undefined).catch(() => undefined);
    }
  }

  private async handle(batch: EventBatch): Promise<void> {
    const lastId = batch.ids.reduce((max, id) => (compareStreamIds(id, max) > 0 ? id : max), batch.ids[0] ?? '0-0');
    let delay = 100;
    for (let attempt = 1; ; attempt++) {
      try {
        const result =
          attempt <= ATTEMPTS_BEFORE_SPLIT
            ? await applyBatch(this.prisma, batch.events, { stream: this.stream, lastId }, { taskLogLimit: this.options.taskLogLimit })
            : await this.applyOneByOne(batch, lastId);
        if (this.abandoned) return;
        await batch.ack();
        this.committed(batch, lastId, result);
        return;
      } catch (error) {
        if (this.abandoned || this.stopping) {
          this.logger.warn({ err: error, entries: batch.ids.length }, 'ingest: batch not written before stop; it will be read again');
          return;
        }
        this.fail(error, `ingest: writing a batch failed (attempt ${attempt}); retrying it`);
        await this.pause(delay);
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  /**
   * A batch that keeps failing may hold one event the database refuses: write
   * the events one at a time and skip (with a log line) those that still fail,
   * so one bad event cannot stop the ingest. Nothing is skipped while the
   * database does not answer: the batch is then retried as a whole.
   */
  private async applyOneByOne(batch: EventBatch, lastId: string): Promise<BatchResult> {
    const failures: { event: unknown; error: unknown }[] = [];
    const total: BatchResult = { events: 0, invalid: 0, tasks: [], attempts: [], workers: [], scheduleRuns: [], scheduleChanges: [], logs: [] };
    for (const event of batch.events) {
      try {
        const one = await applyBatch(this.prisma, [event], undefined, { taskLogLimit: this.options.taskLogLimit });
        total.events += one.events;
        total.invalid += one.invalid;
        total.tasks.push(...one.tasks);
        total.attempts.push(...one.attempts);
        total.workers.push(...one.workers);
        total.scheduleRuns.push(...one.scheduleRuns);
        total.scheduleChanges.push(...one.scheduleChanges);
        total.logs?.push(...(one.logs ?? []));
      } catch (error) {
        failures.push({ event, error });
      }
    }
    // Skip only when the database answers: a database that is down is no reason to drop events.
    if (failures.length > 0) await this.prisma.$queryRawUnsafe('SELECT 1');
    await applyBatch(this.prisma, [], { stream: this.stream, lastId });
    for (const { event, error } of failures) this.logger.error({ err: error, event }, 'ingest: skipped an event the database refused');
    total.invalid += failures.length;
    return total;
  }

  private committed(batch: EventBatch, lastId: string, result: BatchResult): void {
    if (this.state.lastEventId === null || compareStreamIds(lastId, this.state.lastEventId) > 0) this.state.lastEventId = lastId;
    for (const event of batch.events) {
      if (this.state.lastEventAt === null || event.timestamp > this.state.lastEventAt) this.state.lastEventAt = event.timestamp;
      if (event.type === 'worker-heartbeat' || event.type === 'worker-online') this.heartbeatMs.set(event.hostname, event.heartbeatInterval);
    }
    this.state.eventsApplied += result.events;
    this.state.batches++;
    this.state.state = 'running';
    this.state.lastError = null;
    if (result.invalid > 0) this.logger.warn({ invalid: result.invalid }, 'ingest: skipped malformed events');
    this.notify(result);
  }

  private notify(result: BatchResult): void {
    for (const listener of this.listeners) {
      try {
        listener(result);
      } catch (error) {
        this.logger.error({ err: error }, 'ingest: a batch listener failed');
      }
    }
  }

  /** Lovage's workers whose last heartbeat is older than two intervals plus a margin (as the engine's registry) go offline; each Celery source sweeps its own cluster's. */
  async sweepOffline(): Promise<string[]> {
    const workers = await markSilentWorkersOffline(this.prisma, this.heartbeatMs, this.options.defaultHeartbeatMs ?? 2_000, null);
    if (workers.length > 0) {
      this.logger.info({ workers: workers.map((w) => w.hostname) }, 'ingest: workers missed their heartbeats; marked offline');
      this.notify({ events: 0, invalid: 0, tasks: [], attempts: [], workers, scheduleRuns: [], scheduleChanges: [] });
    }
    return workers.map((w) => w.hostname);
  }

  private fail(error: unknown, message: string): void {
    this.state.state = 'failing';
    this.state.lastError = error instanceof Error ? error.message : String(error);
    this.logger.error({ err: error }, message);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.controller.signal.aborted) return resolve();
      const timer = setTimeout(resolve, ms);
      this.controller.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }
}
