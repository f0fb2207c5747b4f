// One watched Python Celery cluster beyond its event stream: remote control
// over its pidbox (the engine's CeleryControlBus), reconciliation after each
// (re)subscription, and the workers' `inspect stats` on their rows.
//
// Reconciliation ("nothing silently missing"): pub/sub drops the events sent
// while the gateway is down or its subscription is broken. Each time the
// event source is subscribed again, the tasks the store holds as unfinished in
// this cluster are looked up in the result backend (`celery-task-meta-<id>`),
// and the workers are asked what they hold (`inspect active/reserved/
// scheduled`); both become events applied through the event source, so state
// precedence and idempotence are the stream's. The gap (from the newest event
// seen before the break to the resubscription) and the count of tasks moved
// are kept for /healthz and GET /api/v1/clusters.
import { hostname as machineName } from 'node:os';
import {
  CeleryAmqpMonitor,
  CeleryControlBus,
  RedisPidboxTransport,
  decodeResultMeta,
  encodeTaskMessage,
  KombuLayout,
  pythonRepr,
  serializeEnvelope,
  type CeleryResultMeta,
  type CeleryTaskSpec,
} from '@lovage/engine/celery';
import { TASK_STATES, type LovageEvent } from '@lovage/engine';
import { FINISHED_STATES } from '../actions/task-actions.js';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ReconcileReport } from '../api/cluster-schemas.js';
import type { CeleryClusterConfig } from '../config.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { WorkerSnapshot } from '../ingest/batch-result.js';
import type { CeleryEventSource, CeleryEventSourceStatus, Subscribed } from '../ingest/celery-events.js';
import { argsRepr, EventSequence, eventFromResult, eventsFromHeld, type HeldKind, type StoredTask } from './reconcile-events.js';
import { storeWorkerStats, workerStatsOf } from './worker-stats.js';

export type { ReconcileReport };

/** Unfinished tasks looked up in the result backend per reconciliation (newest first). */
const MAX_RECONCILED_TASKS = 50_000;
/** Result keys read per MGET. */
const RESULT_CHUNK = 500;
/** Events written per batch. */
const APPLY_CHUNK = 1_000;

export interface CeleryClusterOptions {
  /** How often every worker's `inspect stats` is refreshed (one broadcast). Default 30 s; 0 turns it off. */
  statsIntervalMs?: number;
  /** How long a broadcast inspect collects replies. Default 2 s. */
  inspectTimeoutMs?: number;
}

export interface CeleryClusterStatus {
  name: string;
  events: CeleryEventSourceStatus;
  /** ISO instant of the last finished reconciliation, null before any. */
  lastReconciledAt: string | null;
  /** Tasks changed by reconciliation since this process started. */
  reconciledCount: number;
  /** The last gap in the events: from the newest event seen before it to the resubscription (ISO), null before any. */
  missedSince: string | null;
  missedUntil: string | null;
  lastReconcile: ReconcileReport | null;
  /** ISO instant `inspect stats` last answered, null before any. */
  statsRefreshedAt: string | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
/** States reconciliation may move on; read through the (state, created_at) index, so millions of finished rows cost nothing. */
const UNFINISHED = TASK_STATES.filter((state) => !FINISHED_STATES.includes(state));

export class CeleryCluster {
  readonly name: string;
  private readonly client: Redis;
  private readonly results: Redis;
  private readonly control: CeleryControlBus;
  /** A cluster on RabbitMQ: queues, pidbox and publishing go through it (results stay on Redis). */
  private readonly amqp: CeleryAmqpMonitor | undefined;
  private readonly layout: KombuLayout;
  private readonly inspectTimeoutMs: number;
  private readonly stopListening: (() => void)[] = [];
  private statsTimer: NodeJS.Timeout | undefined;
  /** The pid each online worker had when its stats were last asked for (a restart asks again). */
  private readonly statsAsked = new Map<string, number | null>();
  private reconciling: Promise<void> | undefined;
  private pending: Subscribed | undefined;
  private reconciledCount = 0;
  private lastReconcile: ReconcileReport | null = null;
  private statsRefreshedAt: number | null = null;
  private closed = false;

  constructor(
    private readonly config: CeleryClusterConfig,
    private readonly source: CeleryEventSource,
    private readonly prisma: PrismaClient,
    private readonly logger: Logger,
    private readonly options: CeleryClusterOptions = {},
  ) {
    this.name = config.name;
    this.inspectTimeoutMs = options.inspectTimeoutMs ?? 2_000;
    const connect = (url: string) => new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
    // On RabbitMQ the results' Redis stands in (never used for the queues, which `amqp` reaches).
    this.client = connect(config.transport === 'amqp' ? config.resultBackend : config.url);
    this.results = config.resultBackend === config.url ? this.client : connect(config.resultBackend);
    for (const redis of new Set([this.client, this.results])) {
      redis.on('error', (error: Error) => this.logger.debug({ err: error, cluster: this.name }, 'celery cluster: connection error'));
    }
    this.layout = new KombuLayout({ globalKeyPrefix: config.keyPrefix, db: config.db });
    if (config.transport === 'amqp') {
      this.amqp = new CeleryAmqpMonitor(config.url, logger);
      this.control = this.amqp.control;
    } else {
      this.control = new CeleryControlBus(new RedisPidboxTransport(this.client, () => connect(config.url), this.layout), null, logger);
    }
  }

  /** Follows the event source: reconciles on each subscription, asks new workers for their stats. Call before `source.start()`. */
  start(): void {
    this.stopListening.push(
      this.source.onSubscribed((subscribed) => this.requestReconcile(subscribed)),
      this.source.onApplied((batch) => {
        const fresh = batch.workers.filter((w) => w.online && this.statsAsked.get(w.hostname) !== w.pid);
        for (const worker of batch.workers) if (!worker.online) this.statsAsked.delete(worker.hostname);
        if (fresh.length === 0) return;
        for (const worker of fresh) this.statsAsked.set(worker.hostname, worker.pid);
        // A worker announces itself before its pidbox listens: one that did not answer is asked again at its next heartbeat.
        const forget = (hostnames: readonly string[]) => {
          for (const hostname of hostnames) this.statsAsked.delete(hostname);
        };
        const asked = fresh.map((w) => w.hostname);
        this.refreshStats(asked).then(
          (answered) => forget(asked.filter((hostname) => !answered.includes(hostname))),
          (error: unknown) => {
            forget(asked);
            this.logger.warn({ err: error, cluster: this.name }, 'celery cluster: stats of new workers failed');
          },
        );
      }),
    );
    const every = this.options.statsIntervalMs ?? 30_000;
    if (every > 0) {
      this.statsTimer = setInterval(() => {
        this.refreshStats(null).catch((error: unknown) => this.logger.warn({ err: error, cluster: this.name }, 'celery cluster: periodic stats failed'));
      }, every);
      this.statsTimer.unref();
    }
  }

  status(): CeleryClusterStatus {
    const last = this.lastReconcile;
    return {
      name: this.name,
      events: this.source.status(),
      lastReconciledAt: last?.at ?? null,
      reconciledCount: this.reconciledCount,
      missedSince: last?.missedSince ?? null,
      missedUntil: last?.missedUntil ?? null,
      lastReconcile: last,
      statsRefreshedAt: iso(this.statsRefreshedAt),
    };
  }

  /** Resolves once no reconciliation is running or queued (tests; shutdown). */
  async settled(): Promise<void> {
    while (this.reconciling) await this.reconciling;
  }

  /**
   * Calls a pidbox method (Celery's name and arguments) on `destination`
   * (node names; null: every worker) and returns each node's raw reply.
   */
  call(method: string, args: Record<string, unknown>, destination: string[] | null, timeoutMs = this.inspectTimeoutMs): Promise<Record<string, unknown>> {
    return this.control.call(method, args, { destination, timeoutMs });
  }

  /**
   * Sends a protocol v2 task message onto one of the cluster's queues, as
   * Celery's send_task does over Redis (LPUSH to the queue's priority list),
   * and records it as sent, so the task shows before a worker reports it.
   */
  async publish(spec: Omit<CeleryTaskSpec, 'origin'>): Promise<void> {
    const envelope = encodeTaskMessage({ ...spec, origin: `gen${process.pid}@${machineName()}`, lang: 'py' }, 'kombu-5.2');
    if (this.amqp) await this.amqp.publish(envelope);
    else await this.client.lpush(this.layout.queueKey(spec.queue, spec.priority ?? 0), serializeEnvelope(envelope));
    const sent = {
      type: 'task-sent',
      timestamp: Date.now(),
      hostname: `gen${process.pid}@${machineName()}`,
      pid: process.pid,
      seq: 0,
      id: spec.id,
      name: spec.task,
      queue: spec.queue,
      retries: spec.retries ?? 0,
      // As Celery's own task-sent shows them: Python repr text (see ingest/celery-translate.ts).
      args: JSON.stringify(argsRepr(spec.args ?? [])),
      kwargs: pythonRepr(spec.kwargs ?? {}),
      eta: spec.eta?.getTime(),
      expires: spec.expires?.getTime(),
      priority: spec.priority ?? Number.NaN,
    } as LovageEvent;
    await this.source.applyReconciled([sent]);
  }

  /**
   * The cluster's queues (every queue a worker of it consumes, and `extra`)
   * with their depth: kombu keeps one Redis list per priority step
   * (kombu-layout.ts), and a queue's depth is their sum.
   */
  async queueDepths(extra: readonly string[] = []): Promise<{ name: string; ready: number }[]> {
    const rows = await this.prisma.$queryRawUnsafe<{ name: string }[]>(
      `SELECT DISTINCT unnest(queues) AS name FROM workers WHERE cluster = $1`,
      this.name,
    );
    const names = [...new Set([...rows.map((row) => row.name), ...extra])].sort();
    if (names.length === 0) return [];
    // RabbitMQ: a passive declare per queue (no management plugin needed).
    const amqp = this.amqp;
    if (amqp) return Promise.all(names.map(async (name) => ({ name, ready: await amqp.queueDepth(name) })));
    const pipeline = this.client.pipeline();
    for (const name of names) for (const key of this.layout.queueKeys(name)) pipeline.llen(key);
    const lengths = ((await pipeline.exec()) ?? []).map(([error, length]) => {
      if (error) throw error;
      return Number(length);
    });
    const steps = this.layout.queueKeys('x').length;
    return names.map((name, index) => ({ name, ready: lengths.slice(index * steps, (index + 1) * steps).reduce((sum, n) => sum + n, 0) }));
  }

  /** Deletes every message waiting in `queue` (all its priority lists); running and prefetched tasks are the workers'. Returns how many. */
  async purge(queue: string): Promise<number> {
    if (this.amqp) return this.amqp.purge(queue);
    const keys = this.layout.queueKeys(queue);
    const pipeline = this.client.multi();
    for (const key of keys) pipeline.llen(key);
    pipeline.del(...keys);
    const results = (await pipeline.exec()) ?? [];
    return results.slice(0, keys.length).reduce((sum, [, length]) => sum + Number(length), 0);
  }

  /** The task's result meta in the cluster's result backend, undefined when there is none (or it cannot be read). */
  async resultOf(id: string): Promise<CeleryResultMeta | undefined> {
    const text = await this.results.get(`celery-task-meta-${id}`);
    if (text === null) return undefined;
    try {
      return decodeResultMeta(text);
    } catch (error) {
      this.logger.warn({ err: error, cluster: this.name, task: id }, 'celery cluster: a result the codec cannot read');
      return undefined;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.statsTimer);
    for (const stop of this.stopListening.splice(0)) stop();
    this.pending = undefined;
    await this.reconciling;
    this.control.close();
    await this.amqp?.close();
    this.client.disconnect();
    if (this.results !== this.client) this.results.disconnect();
  }

  /** One reconciliation at a time; a subscription while one runs queues one more (the latest gap wins). */
  private requestReconcile(subscribed: Subscribed): void {
    if (this.closed) return;
    if (this.reconciling) {
      this.pending = { ...subscribed, missedSince: this.pending?.missedSince ?? subscribed.missedSince };
      return;
    }
    this.reconciling = (async () => {
      let next: Subscribed | undefined = subscribed;
      while (next && !this.closed) {
        await this.reconcile(next);
        next = this.pending;
        this.pending = undefined;
      }
    })().finally(() => {
      this.reconciling = undefined;
    });
  }

  private async reconcile(subscribed: Subscribed): Promise<void> {
    // Before this process saw any event, the gap starts at the newest change the store holds for the cluster.
    const missedSince = subscribed.missedSince ?? (await this.newestStoredChange().catch(() => null));
    const report: ReconcileReport = { at: '', tasks: 0, lookedUp: 0, workers: 0, missedSince: iso(missedSince), missedUntil: new Date(subscribed.at).toISOString(), error: null };
    try {
      const sequence = new EventSequence();
      const unfinished = await this.unfinishedTasks();
      report.lookedUp = unfinished.length;
      const fromResults = await this.resultEvents(unfinished, sequence);
      const held = await this.heldEvents(sequence);
      report.workers = held.workers;
      const before = new Map(unfinished.map((task) => [task.id, task.state]));
      for (const [id, state] of await this.storedStates(held.ids)) before.set(id, state);
      const changed = new Set<string>();
      const events = [...fromResults, ...held.events];
      for (let i = 0; i < events.length; i += APPLY_CHUNK) {
        const result = await this.source.applyReconciled(events.slice(i, i + APPLY_CHUNK));
        for (const task of result.tasks) if (before.get(task.id) !== task.state) changed.add(task.id);
      }
      report.tasks = changed.size;
      this.reconciledCount += changed.size;
      this.logger.info({ cluster: this.name, tasks: report.tasks, lookedUp: report.lookedUp, workers: report.workers, missedSince: report.missedSince }, 'celery cluster: reconciled after (re)subscribing');
    } catch (error) {
      report.error = error instanceof Error ? error.message : String(error);
      this.logger.warn({ err: error, cluster: this.name }, 'celery cluster: reconciliation failed; it runs again at the next resubscription');
    }
    report.at = new Date().toISOString();
    this.lastReconcile = report;
  }

  private async newestStoredChange(): Promise<number | null> {
    const rows = await this.prisma.$queryRawUnsafe<{ at: number | null }[]>(
      `SELECT (extract(epoch from max(updated_at)) * 1000)::float8 AS at FROM tasks WHERE cluster = $1`,
      this.name,
    );
    return rows[0]?.at ?? null;
  }

  private async unfinishedTasks(): Promise<(StoredTask & { state: string })[]> {
    return this.prisma.$queryRawUnsafe<(StoredTask & { state: string })[]>(
      `SELECT id, name, queue, retries, worker, state::text AS state, (extract(epoch from started_at) * 1000)::float8 AS "startedAt"
         FROM tasks WHERE state = ANY($2::task_state[]) AND cluster = $1
        ORDER BY created_at DESC LIMIT ${MAX_RECONCILED_TASKS}`,
      this.name,
      UNFINISHED,
    );
  }

  private async storedStates(ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.prisma.$queryRawUnsafe<{ id: string; state: string }[]>(
      `SELECT id, state::text AS state FROM tasks WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))`,
      JSON.stringify(ids),
    );
    return new Map(rows.map((row) => [row.id, row.state]));
  }

  /** Final (or started) states from the result backend for the given stored tasks. */
  private async resultEvents(tasks: readonly StoredTask[], sequence: EventSequence): Promise<LovageEvent[]> {
    const events: LovageEvent[] = [];
    for (let i = 0; i < tasks.length; i += RESULT_CHUNK) {
      const chunk = tasks.slice(i, i + RESULT_CHUNK);
      const metas = await this.results.mget(...chunk.map((task) => `celery-task-meta-${task.id}`));
      chunk.forEach((task, index) => {
        const text = metas[index];
        if (text === null || text === undefined) return;
        try {
          const event = eventFromResult(decodeResultMeta(text), task, sequence);
          if (event) events.push(event);
        } catch (error) {
          this.logger.warn({ err: error, cluster: this.name, task: task.id }, 'celery cluster: skipped a result the codec cannot read');
        }
      });
    }
    return events;
  }

  /** What every worker holds now, from one broadcast per kind. */
  private async heldEvents(sequence: EventSequence): Promise<{ events: LovageEvent[]; ids: string[]; workers: number }> {
    const kinds: HeldKind[] = ['active', 'reserved', 'scheduled'];
    const replies = await Promise.all(kinds.map((kind) => this.call(kind, {}, null)));
    const held: { kind: HeldKind; hostname: string; entry: unknown }[] = [];
    const workers = new Set<string>();
    kinds.forEach((kind, index) => {
      for (const [hostname, list] of Object.entries(replies[index] ?? {})) {
        workers.add(hostname);
        if (Array.isArray(list)) for (const entry of list) held.push({ kind, hostname, entry });
      }
    });
    const idOf = (entry: unknown): string | undefined => {
      const e = (entry ?? {}) as Record<string, unknown>;
      const request = (e.request ?? e) as Record<string, unknown>;
      return typeof request.id === 'string' ? request.id : undefined;
    };
    const ids = [...new Set(held.map((h) => idOf(h.entry)).filter((id): id is string => id !== undefined))];
    const retries = new Map<string, number>();
    if (ids.length > 0) {
      const rows = await this.prisma.$queryRawUnsafe<{ id: string; retries: number }[]>(
        `SELECT id, retries FROM tasks WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))`,
        JSON.stringify(ids),
      );
      for (const row of rows) retries.set(row.id, row.retries);
    }
    const events = held.flatMap((h) => eventsFromHeld(h.kind, h.entry, h.hostname, retries.get(idOf(h.entry) ?? '') ?? 0, sequence));
    return { events, ids, workers: workers.size };
  }

  /** Asks `hostnames` (null: every worker, one broadcast) for `stats` and `active_queues` and stores them on their rows. */
  async refreshStats(hostnames: string[] | null): Promise<string[]> {
    return (await this.refreshedWorkers(hostnames)).map((worker) => worker.hostname);
  }

  /**
   * A prefork pool grows or shrinks after the worker has answered the command: asks the worker
   * again, every half second for up to `timeoutMs`, until its process count is no longer `before`
   * and has stayed the same for three answers in a row. The process list can change more than
   * once while the pool settles: a proof run's worker reported 2, 3, then 2 for a grown pool,
   * and stopping at the first change left the row at 2 until the periodic refresh, 30 s later.
   */
  async followPoolChange(hostname: string, before: number | null, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: number | null | undefined;
    let same = 0;
    while (Date.now() < deadline) {
      const [worker] = await this.refreshedWorkers([hostname]);
      if (worker) {
        same = worker.poolSize === last ? same + 1 : 1;
        last = worker.poolSize;
        if (last !== before && same >= 3) return;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  private async refreshedWorkers(hostnames: string[] | null): Promise<WorkerSnapshot[]> {
    const [stats, queues] = await Promise.all([this.call('stats', {}, hostnames), this.call('active_queues', {}, hostnames)]);
    const list = Object.entries(stats).map(([hostname, reply]) => workerStatsOf(hostname, reply, queues[hostname]));
    const updated = await storeWorkerStats(this.prisma, this.name, list);
    if (list.length > 0) this.statsRefreshedAt = Date.now();
    // Browsers watching these workers see the new pool and queues now, not at some later event.
    this.source.announceWorkers(updated);
    return updated;
  }
}
