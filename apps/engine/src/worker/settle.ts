// The settle pipeline: every way a delivery leaves the worker (success, retry,
// failure, revoke, expiry, reject, time limit, rate-limit park, hand-back) goes
// through `settle()` once, which does the four things an outcome implies in
// one place and in one order: count it, emit its event, store its result, then
// settle it in the broker. Acks are late: the broker learns of an outcome only
// after its result is stored, so a crash at any point loses nothing.
//
// The endings of one event-loop turn are written together: their records in
// one `backend.storeMany()` call, then their settlements in one
// `broker.settle()` call (one script call each on Redis), so a busy worker
// settles hundreds of tasks per round trip, and a task's ending costs no
// promise of its own: a task without a canvas step waits on its turn's.
import type { Logger } from '../app/logger.js';
import { carriesCanvas, type CanvasRuntime } from '../canvas/canvas-runtime.js';
import { Reject, Retry, TaskRevokedError } from '../errors.js';
import { encodeMembers, preview, taskEventFields, type EventProducer } from '../events/events.js';
import type { ResultBackend } from '../result/backend.js';
import { errorToRemote, type AttemptRecord, type RemoteError, type ResultRecord } from '../result/record.js';
import { applyAutoretry } from '../task/context.js';
import type { TaskMessage } from '../task/message.js';
import type { MessageCodec } from '../task/message-codec.js';
import { toJsonValue } from '../task/serialization.js';
import type { Task } from '../task/task.js';
import type { RunSpan } from '../tracing/tracing.js';
import type { Broker, Delivery, Settlement } from './broker.js';

/** A delivery on its way out, with what the worker learned about it. */
export interface Settling {
  delivery: Delivery;
  /** The parsed message (absent when malformed). */
  message?: TaskMessage | undefined;
  task?: Task<never[], unknown> | undefined;
  /** The task's event fields as JSON members, encoded once for all of its events (events on only). */
  fields?: string | undefined;
  /** Epoch ms when its handler started (absent when it never ran). */
  startedAt?: number | undefined;
  /** Acknowledged when it started (`acksLate: false`): only a retry or a dead letter still reaches the broker. */
  ackedEarly?: boolean | undefined;
  /** The attempt's `run` span (OpenTelemetry installed and the handler started): settling ends it. */
  span?: RunSpan | undefined;
}

/** The task's event fields as JSON members, encoded on first use and kept on the delivery for its other events. */
export function eventFieldsOf(s: Settling, msg: TaskMessage): string {
  s.fields ??= encodeMembers(taskEventFields(msg));
  return s.fields;
}

/** How a delivery ends. `ran` outcomes come from a handler run; the others end it before (or without) a run. */
export type Outcome =
  | { kind: 'ran'; ok: true; value: unknown; endedAt: number }
  | { kind: 'ran'; ok: false; error: unknown; endedAt: number }
  /** Revoked while running (its handler ran, then the revoke won). */
  | { kind: 'revoked-running'; terminated: boolean; endedAt: number }
  /** Revoked or expired before it started. */
  | { kind: 'revoked'; expired: boolean }
  /** Dropped by the broker at reserve because it was revoked: nothing to settle there. */
  | { kind: 'revoked-at-reserve' }
  /** Malformed or unknown: straight to the dead-letter list. */
  | { kind: 'invalid'; reason: string }
  /** Over its rate limit: parked in the delayed set until its token is due. */
  | { kind: 'parked'; eta: number }
  /** Not run by this worker (closing): back to the queue at once for another worker. */
  | { kind: 'handed-back' };

export interface WorkerStatsCounts {
  processed: number;
  succeeded: number;
  failed: number;
  retried: number;
  revoked: number;
  deadLettered: number;
}

export interface SettleDeps {
  readonly hostname: string;
  readonly logger: Logger;
  readonly events: EventProducer;
  broker(): Broker;
  readonly backend: ResultBackend;
  readonly codec: MessageCodec;
  readonly resultExpiresMs: number;
  ignoresResult(task: Task<never[], unknown> | undefined, message: TaskMessage | undefined): boolean;
  /** Carries a canvas on (next chain step, chord join, links, errbacks) once a member's outcome is stored. */
  readonly canvas: Pick<CanvasRuntime, 'onSucceeded' | 'onFailed'>;
}

/** What the canvas does after an outcome is stored and before the delivery is settled. */
type CanvasStep = { ok: true; result: unknown } | { ok: false; error: RemoteError };

/** What an outcome leaves to write, in this order: its result record, its canvas step, its broker settlement. */
interface Ending {
  delivery: Delivery;
  /** Absent when there is none, or the task ignores results. */
  record: ResultRecord | undefined;
  /** Set when the record could not be stored: the ending stops there, and the delivery stays leased until redelivered. */
  storeError?: Error;
  /** Absent when the message carries no canvas. */
  canvas: { msg: TaskMessage; step: CanvasStep } | undefined;
  /** Absent for the ack of a delivery acknowledged when it started. */
  settlement: Settlement | undefined;
  /** Runs once the settlement is applied (a dead letter is counted and announced then). */
  after: (() => void) | undefined;
}

/** The endings of one event-loop turn. */
interface Turn {
  /** The endings with a record to store. */
  recorded: Ending[];
  /** Resolves once the records are stored, or marked with the error that kept them out (never rejects). */
  stored: Promise<void>;
  /** Endings without a canvas step: settled in the broker together once the records are stored. */
  plain: Ending[];
  /** Resolves once `plain` is settled (made with the first plain ending). */
  settled: Promise<void> | undefined;
}

/**
 * A result record: the task's fields, then the outcome's. The task's come first on purpose: on
 * Node 20, a literal that starts with a spread (`{ ...base, state }`) pays about 1.5 µs for each
 * property after it, several µs a task on the worker's hottest path.
 */
function resultRecord(msg: TaskMessage, worker: string, outcome: Omit<ResultRecord, 'id' | 'task' | 'queue' | 'retries' | 'worker'>): ResultRecord {
  return { id: msg.id, task: msg.task, queue: msg.queue, retries: msg.retries, worker, ...outcome };
}

/**
 * Epoch ms as an ISO string. A busy worker ends dozens of tasks in the same
 * millisecond, and starts them in the one before: the last two answers are
 * kept, so most tasks' two timestamps cost neither a Date nor a formatting.
 */
let lastMs = NaN;
let lastIso = '';
let previousMs = NaN;
let previousIso = '';
function isoOf(ms: number): string {
  if (ms === lastMs) return lastIso;
  if (ms === previousMs) return previousIso;
  previousMs = lastMs;
  previousIso = lastIso;
  lastMs = ms;
  lastIso = new Date(ms).toISOString();
  return lastIso;
}

function revokedError(id: string, reason: string): RemoteError {
  return { name: 'TaskRevokedError', message: new TaskRevokedError(id, reason).message };
}

export class SettlePipeline {
  readonly stats: WorkerStatsCounts = { processed: 0, succeeded: 0, failed: 0, retried: 0, revoked: 0, deadLettered: 0 };
  /** Runs per task name since the worker started. */
  readonly totals = new Map<string, number>();
  private turn: Turn | undefined;
  /** This turn's settlements sent one by one (an early ack, a canvas step's ending): see toBroker. */
  private batch: { settlements: Settlement[]; promise: Promise<void> } | undefined;

  constructor(private readonly deps: SettleDeps) {}

  /** Acknowledges at start, for `acksLate: false` (at most once: a crash while it runs loses it). */
  async ackEarly(s: Settling): Promise<void> {
    s.ackedEarly = true;
    await this.toBroker({ kind: 'ack', delivery: s.delivery });
  }

  /** Resolves once the outcome is recorded and settled; rejects (never throws) if that failed. */
  settle(s: Settling, outcome: Outcome): Promise<void> {
    const span = s.span;
    if (span !== undefined) {
      // Ended once, even if a closing worker hands the job back while its handler still runs.
      s.span = undefined;
      return this.settleInSpan(s, outcome, span);
    }
    try {
      return this.settleOutcome(s, outcome, undefined);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private async settleInSpan(s: Settling, outcome: Outcome, span: RunSpan): Promise<void> {
    try {
      // Active while the canvas carries on, so the next step's send span is a child of this run.
      await span.with(() => this.settleOutcome(s, outcome, span));
    } finally {
      span.end();
    }
  }

  private settleOutcome(s: Settling, outcome: Outcome, span: RunSpan | undefined): Promise<void> {
    const d = s.delivery;
    const msg = s.message;
    const ev = this.deps.events.enabled;
    let record: ResultRecord | undefined;
    // Every record names this worker. Records are written only for a parsed message (`msg`), so a
    // stray message never writes a result.
    const worker = this.deps.hostname;

    if (outcome.kind === 'invalid') {
      return this.deadLetter(s, outcome.reason);
    }
    if (outcome.kind === 'parked') {
      return this.end(s, undefined, { kind: 'retry', delivery: d, body: d.body, eta: outcome.eta, keepDeliveries: true });
    }
    if (outcome.kind === 'handed-back') {
      span?.outcome('HANDED_BACK');
      return this.end(s, undefined, { kind: 'retry', delivery: d, body: d.body, eta: Date.now(), keepDeliveries: true });
    }
    if (outcome.kind === 'revoked-at-reserve') return this.revokedAtReserve(s);
    if (!msg) return this.deadLetter(s, 'malformed message');

    if (outcome.kind === 'revoked') {
      this.stats.revoked++;
      if (ev) this.deps.events.emit({ type: 'task-revoked', ...taskEventFields(msg), terminated: false, expired: outcome.expired });
      const reason = outcome.expired ? 'expired' : 'revoked';
      record = resultRecord(msg, worker, { state: 'REVOKED', reason, attempts: msg.attempts, dateDone: new Date().toISOString() });
      return this.end(s, record, { kind: 'ack', delivery: d }, { ok: false, error: revokedError(msg.id, reason) });
    }

    // The task ran: count it and describe the attempt.
    const task = s.task;
    const startedAt = s.startedAt ?? outcome.endedAt;
    const runtime = outcome.endedAt - startedAt;
    const endedIso = isoOf(outcome.endedAt);
    this.stats.processed++;
    this.totals.set(msg.task, (this.totals.get(msg.task) ?? 0) + 1);
    const attempt: AttemptRecord = {
      attempt: msg.attempts.length + 1,
      hostname: this.deps.hostname,
      startedAt: isoOf(startedAt),
      endedAt: endedIso,
      outcome: 'SUCCESS',
    };

    if (outcome.kind === 'revoked-running') {
      attempt.outcome = 'REVOKED';
      span?.outcome('REVOKED');
      this.stats.revoked++;
      if (ev) this.deps.events.emit({ type: 'task-revoked', ...taskEventFields(msg), terminated: outcome.terminated, expired: false });
      record = resultRecord(msg, worker, { state: 'REVOKED', reason: 'revoked', attempts: [...msg.attempts, attempt], dateDone: endedIso });
      return this.end(s, record, { kind: 'ack', delivery: d }, { ok: false, error: revokedError(msg.id, 'revoked') });
    }

    let error: unknown;
    if (outcome.ok) {
      try {
        const encoded = outcome.value === undefined ? null : toJsonValue(outcome.value, 'result');
        this.stats.succeeded++;
        span?.outcome('SUCCESS');
        if (ev) this.deps.events.emitEncoded('task-succeeded', `${eventFieldsOf(s, msg)},"runtime":${runtime},"result":${JSON.stringify(preview(encoded))}`);
        record = resultRecord(msg, worker, { state: 'SUCCESS', result: encoded, attempts: [...msg.attempts, attempt], dateDone: endedIso });
        return this.end(s, record, { kind: 'ack', delivery: d }, { ok: true, result: encoded });
      } catch (err) {
        error = err;
      }
    } else {
      error = task ? applyAutoretry(outcome.error, task.name, msg.retries, task.options) : outcome.error;
    }

    if (error instanceof Reject) {
      attempt.outcome = 'FAILURE';
      attempt.error = errorToRemote(error);
      span?.outcome(error.requeue ? 'REQUEUED' : 'REJECTED', error);
      if (error.requeue) {
        if (ev) this.deps.events.emit({ type: 'task-rejected', ...taskEventFields(msg), deadLettered: false, reason: `requeued: ${error.message}` });
        return this.end(s, undefined, { kind: 'retry', delivery: d, body: d.body, eta: Date.now(), keepDeliveries: false });
      }
      record = resultRecord(msg, worker, { state: 'FAILURE', error: attempt.error, attempts: [...msg.attempts, attempt], dateDone: endedIso });
      return this.deadLetter(s, `rejected: ${error.message}`, record, { ok: false, error: attempt.error });
    }
    if (error instanceof Retry && error.when !== undefined) {
      attempt.outcome = 'RETRY';
      attempt.error = errorToRemote(error.exc ?? error);
      attempt.nextRetryAt = new Date(error.when).toISOString();
      span?.outcome('RETRY', error.exc);
      const next: TaskMessage = { ...msg, retries: msg.retries + 1, eta: error.when, attempts: [...msg.attempts, attempt] };
      this.stats.retried++;
      if (ev) this.deps.events.emit({ type: 'task-retried', ...taskEventFields(msg), attempt: attempt.attempt, error: attempt.error, nextEta: error.when });
      record = resultRecord(msg, worker, { state: 'RETRY', error: attempt.error, attempts: next.attempts });
      return this.end(s, record, { kind: 'retry', delivery: d, body: this.deps.codec.encode(next), eta: error.when, keepDeliveries: false });
    }
    // A failure (a time limit is one too: TimeLimitExceeded).
    attempt.outcome = 'FAILURE';
    attempt.error = errorToRemote(error);
    span?.outcome('FAILURE', error);
    this.stats.failed++;
    if (ev) this.deps.events.emit({ type: 'task-failed', ...taskEventFields(msg), runtime, error: attempt.error });
    this.deps.logger.warn({ id: msg.id, task: msg.task, err: attempt.error }, 'task failed');
    record = resultRecord(msg, worker, { state: 'FAILURE', error: attempt.error, attempts: [...msg.attempts, attempt], dateDone: endedIso });
    return this.end(s, record, { kind: 'ack', delivery: d }, { ok: false, error: attempt.error });
  }

  /** Revoked at reserve: the broker dropped it, so only its state and its canvas remain. */
  private async revokedAtReserve(s: Settling): Promise<void> {
    const d = s.delivery;
    const msg = s.message;
    this.stats.revoked++;
    if (msg) this.deps.events.emit({ type: 'task-revoked', ...taskEventFields(msg), terminated: false, expired: false });
    else this.deps.events.emit({ type: 'task-revoked', id: d.id, name: '', queue: d.queue, retries: 0, terminated: false, expired: false });
    if (!msg) return;
    if (!this.deps.ignoresResult(s.task, msg)) {
      // Another copy (or the revoker) may have recorded a final state already.
      await this.deps.backend.storeUnlessReady(
        resultRecord(msg, this.deps.hostname, { state: 'REVOKED', reason: 'revoked', attempts: msg.attempts, dateDone: new Date().toISOString() }),
        this.deps.resultExpiresMs,
      );
    }
    await this.continueCanvas(msg, { ok: false, error: revokedError(msg.id, 'revoked') });
  }

  /**
   * Stores the record (unless the task ignores results), carries its canvas on,
   * then settles in the broker, together with the other endings of this turn.
   */
  private end(s: Settling, record: ResultRecord | undefined, settlement: Settlement, canvas?: CanvasStep, after?: () => void): Promise<void> {
    const msg = s.message;
    const ending: Ending = {
      delivery: s.delivery,
      record: record && !this.deps.ignoresResult(s.task, msg) ? record : undefined,
      canvas: canvas && msg && carriesCanvas(msg) ? { msg, step: canvas } : undefined,
      // An early-acked delivery is gone from the broker: only a retry or a dead letter still goes there.
      settlement: s.ackedEarly && settlement.kind === 'ack' ? undefined : settlement,
      after,
    };
    const turn = this.turn ?? this.openTurn();
    if (ending.record) turn.recorded.push(ending);
    if (ending.canvas) return this.endWithCanvas(turn.stored, ending);
    turn.plain.push(ending);
    turn.settled ??= turn.stored.then(() => this.settlePlain(turn.plain));
    return turn.settled;
  }

  /** A turn's records are stored at the end of the turn. */
  private openTurn(): Turn {
    const recorded: Ending[] = [];
    const turn: Turn = {
      recorded,
      stored: new Promise<void>((resolve) => {
        setImmediate(() => {
          if (this.turn === turn) this.turn = undefined;
          void this.storeRecords(recorded).then(resolve);
        });
      }),
      plain: [],
      settled: undefined,
    };
    this.turn = turn;
    return turn;
  }

  /**
   * In one storeMany call; if that fails (a Redis Cluster node failing over,
   * say), one by one, so a record that cannot be stored holds back only its
   * own ending, as each task's own write did before writes were batched.
   */
  private async storeRecords(recorded: Ending[]): Promise<void> {
    if (recorded.length === 0) return;
    const ttl = this.deps.resultExpiresMs;
    try {
      await this.deps.backend.storeMany(recorded.map((e) => e.record!), ttl);
    } catch {
      await Promise.all(
        recorded.map((e) =>
          this.deps.backend.store(e.record!, ttl).catch((err: unknown) => {
            e.storeError = err instanceof Error ? err : new Error(String(err));
          }),
        ),
      );
    }
  }

  private async settlePlain(endings: Ending[]): Promise<void> {
    const settlements: Settlement[] = [];
    for (const e of endings) if (e.settlement && e.storeError === undefined) settlements.push(e.settlement);
    if (settlements.length > 0) await this.deps.broker().settle(settlements);
    for (const e of endings) {
      if (e.storeError === undefined) e.after?.();
      else this.deps.logger.error({ err: e.storeError, id: e.delivery.id }, 'storing a result failed; the message stays leased and is delivered again');
    }
  }

  /**
   * The canvas carries on between storing and settling, so a crash redelivers
   * the task and the canvas step runs again (a chord join counts a member once;
   * see canvas-runtime.ts). Its own promise: a failed step leaves only its own
   * delivery unsettled.
   */
  private async endWithCanvas(stored: Promise<void>, ending: Ending): Promise<void> {
    await stored;
    if (ending.storeError !== undefined) throw ending.storeError;
    await this.continueCanvas(ending.canvas!.msg, ending.canvas!.step);
    if (ending.settlement) await this.toBroker(ending.settlement);
    ending.after?.();
  }

  private async continueCanvas(msg: TaskMessage, step: CanvasStep): Promise<void> {
    if (!carriesCanvas(msg)) return;
    if (step.ok) await this.deps.canvas.onSucceeded(msg, step.result);
    else await this.deps.canvas.onFailed(msg, step.error);
  }

  /**
   * Counted and announced once the dead letter is written, so whoever sees the
   * count or the event can read it. A rejected task's record and canvas step come first.
   */
  private deadLetter(s: Settling, reason: string, record?: ResultRecord, canvas?: CanvasStep): Promise<void> {
    return this.end(s, record, { kind: 'dead', delivery: s.delivery, reason }, canvas, () => this.noteDeadLetter(s.delivery, reason, s.message));
  }

  /** Counts, logs and announces a dead letter (the broker's own, from reserve, as well as the pipeline's). */
  noteDeadLetter(d: { id: string; queue: string }, reason: string, message?: TaskMessage): void {
    this.deps.logger.warn({ id: d.id, queue: d.queue, reason }, 'message dead-lettered');
    this.stats.deadLettered++;
    const fields = message ? taskEventFields(message) : { id: d.id, queue: d.queue };
    this.deps.events.emit({ type: 'task-rejected', ...fields, deadLettered: true, reason });
  }

  /** Queues a settlement (an early ack, a canvas step's ending) for this turn's batch; resolves once the batch is applied. */
  private toBroker(settlement: Settlement): Promise<void> {
    let batch = this.batch;
    if (!batch) {
      const settlements: Settlement[] = [];
      const promise = new Promise<void>((resolve, reject) => {
        setImmediate(() => {
          if (this.batch?.settlements === settlements) this.batch = undefined;
          this.deps.broker().settle(settlements).then(resolve, reject);
        });
      });
      batch = { settlements, promise };
      this.batch = batch;
    }
    batch.settlements.push(settlement);
    return batch.promise;
  }
}
