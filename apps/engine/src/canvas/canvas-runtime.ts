// The canvas at run time, for producers and workers alike: applying a canvas
// (plan, record its members, open its chord joins, send), and carrying a
// workflow on when one of its tasks ends. The worker's settle pipeline calls
// `onSucceeded` / `onFailed` for messages that carry canvas headers, after the
// task's result is stored and before its delivery is acknowledged: a crash in
// between redelivers the task, and the join's per-member slots make the second
// report count nothing.
//
// A failure stops what follows it: the rest of its chain is not sent, and each
// of those tasks gets a REVOKED result whose reason names the failed task
// (plus a task-revoked event), so waiters and monitors learn at once. A chord
// with a failed member does not run its callback: the callback's result is
// FAILURE with a ChordError naming the member, and the callback's errbacks
// run (its own failure then carries on the same way).
import type { Logger } from '../app/logger.js';
import { ChordError, ConfigError } from '../errors.js';
import { taskEventFields, type EventInput } from '../events/events.js';
import { AsyncResult, type ResultHost } from '../result/async-result.js';
import { errorToRemote, type RemoteError, type ResultRecord } from '../result/record.js';
import { currentTaskOrUndefined } from '../task/context.js';
import type { TaskMessage } from '../task/message.js';
import { inApplySpan, injectActive } from '../tracing/tracing.js';
import type { MessageCodec } from '../task/message-codec.js';
import { GroupResult } from './group-result.js';
import { assignIds, firstTaskId, Planner, tasksIn, type ChordRef, type Plan } from './planner.js';
import type { CanvasJSON } from './signature.js';
import type { WorkflowStore } from './workflow-store.js';

/**
 * The canvas in a wire protocol's own format, when it has one (protocol
 * 'celery': Celery's embed and chord join, adapters/celery/celery-canvas.ts).
 * It applies canvases and carries them on instead of the planner and the
 * workflow store.
 */
export interface ForeignCanvas {
  apply(node: CanvasJSON, rootId: string, parentId: string | undefined): Promise<void>;
  onSucceeded(msg: TaskMessage, result: unknown): Promise<void>;
  onFailed(msg: TaskMessage, error: RemoteError): Promise<void>;
}

export interface CanvasRuntimeDeps {
  readonly protocol: string;
  /** Set for a protocol that carries canvases its own way. */
  readonly foreign?: ForeignCanvas | undefined;
  readonly codec: MessageCodec;
  readonly logger: Logger;
  readonly resultExpiresMs: number;
  readonly results: ResultHost;
  revokeTasks(ids: string[], options: { terminate?: boolean | undefined }): Promise<void>;
  defaultQueue(): string;
  store(): WorkflowStore;
  /** Sends messages (one round trip per queue) and announces them (task-sent). */
  publish(messages: TaskMessage[]): Promise<void>;
  /** Announces task-sent for a message the broker enqueued itself (a chord's callback). */
  announce(message: TaskMessage): void;
  emit(event: EventInput): void;
}

/** Does this message carry canvas work for after it ends? (Checked per settled task: cheap.) */
export function carriesCanvas(msg: TaskMessage): boolean {
  const h = msg.headers;
  return h.chain !== undefined || h.chord !== undefined || h.callbacks !== undefined || h.errbacks !== undefined || h.embed !== undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export class CanvasRuntime {
  private readonly planner: Planner;

  constructor(private readonly deps: CanvasRuntimeDeps) {
    this.planner = new Planner(() => deps.defaultQueue());
  }

  /**
   * Applies a canvas from a producer: ids assigned, sent, and the handle of its
   * result returned. Applied inside a running task, the canvas joins that
   * task's workflow (its root id) with the task as parent.
   */
  async apply(canvas: CanvasJSON): Promise<AsyncResult<unknown> | GroupResult> {
    // One span around a whole canvas, so its members and a chord's callback share one trace.
    return canvas.kind === 'task' ? this.applyNow(canvas) : inApplySpan(canvas.kind, () => this.applyNow(canvas));
  }

  private async applyNow(canvas: CanvasJSON): Promise<AsyncResult<unknown> | GroupResult> {
    const node = assignIds(canvas);
    const current = currentTaskOrUndefined();
    const rootId = current ? (str(current.headers.rootId) ?? current.id) : (firstTaskId(node) ?? 'empty');
    const foreign = this.deps.foreign;
    if (foreign) {
      await foreign.apply(node, rootId, current?.id);
      return this.resultOf(node, undefined);
    }
    if (this.deps.protocol !== 'lovage') {
      throw new ConfigError(`canvas is not available with protocol '${this.deps.protocol}'`);
    }
    await this.execute(this.planner.plan(node, { rootId, parentId: current?.id, chain: [] }), rootId);
    return this.resultOf(node, undefined);
  }

  /** Records the members, opens the joins, then sends: no member can finish before its join exists. */
  private async execute(plan: Plan, rootId: string): Promise<void> {
    const store = this.deps.store();
    const ttl = this.deps.resultExpiresMs;
    if (plan.messages.length === 0 && plan.chords.length === 0) return;
    await store.recordMembers(
      rootId,
      plan.messages.map((m) => ({ id: m.id, body: this.deps.codec.encode(m) })),
      ttl,
    );
    await Promise.all(
      plan.chords.map((c) => {
        const cb = c.callback;
        // The join enqueues the callback itself, with no send span: it continues the context that applied the chord.
        injectActive(cb.headers);
        const callback = { id: cb.id, queue: cb.queue, priority: cb.priority, eta: cb.eta, body: this.deps.codec.encode(cb) };
        return store.openChord({ groupId: c.groupId, queue: cb.queue, size: c.size, splice: c.splice, callback }, ttl);
      }),
    );
    await this.deps.publish(plan.messages);
  }

  /** The result handle of an applied node (ids assigned), with `.parent` links. */
  private resultOf(node: CanvasJSON, parent: AsyncResult<unknown> | GroupResult | undefined): AsyncResult<unknown> | GroupResult {
    switch (node.kind) {
      case 'task': {
        const r = new AsyncResult<unknown>(node.options.taskId!, this.deps.results);
        r.parent = parent;
        return r;
      }
      case 'chain': {
        let r = parent;
        for (const step of node.tasks) r = this.resultOf(step, r);
        if (!r) throw new ConfigError('chain(): needs at least one signature');
        return r;
      }
      case 'group': {
        const g = new GroupResult(
          node.id!,
          node.tasks.map((t) => this.resultOf(t, parent)),
          tasksIn(node).map((t) => t.options.taskId!),
          (ids, options) => this.deps.revokeTasks(ids, options),
        );
        g.parent = parent;
        return g;
      }
      case 'chord':
        return this.resultOf(node.body, this.resultOf(node.header, parent));
    }
  }

  /** A task with canvas headers succeeded (its result, JSON-encoded): send what follows it. */
  async onSucceeded(msg: TaskMessage, result: unknown): Promise<void> {
    if (this.deps.foreign) return this.deps.foreign.onSucceeded(msg, result);
    const h = msg.headers;
    const rootId = str(h.rootId) ?? msg.id;
    const plans: Plan[] = [];
    const parentResult = { value: result };
    for (const link of (h.callbacks as CanvasJSON[] | undefined) ?? []) {
      plans.push(this.planner.plan(assignIds(link), { rootId, parentId: msg.id, parentResult, chain: [] }));
    }
    const [next, ...rest] = (h.chain as CanvasJSON[] | undefined) ?? [];
    const chord = h.chord as ChordRef | undefined;
    if (next) {
      plans.push(this.planner.plan(next, { rootId, parentId: msg.id, parentResult, chord, chain: rest }));
    } else if (chord) {
      const reply = await this.deps
        .store()
        .joinChord({ groupId: chord.groupId, queue: chord.queue }, chord.index, { ok: true, result: JSON.stringify(result ?? null) }, this.deps.resultExpiresMs);
      if (reply.kind === 'fired') await this.fired(rootId, reply.body);
      else if (reply.kind === 'missing') this.deps.logger.warn({ id: msg.id, chord: chord.groupId }, 'chord member finished but its chord join is gone (expired?)');
    }
    for (const plan of plans) await this.execute(plan, rootId);
  }

  /** The join enqueued a chord's callback: remember it as a workflow member and announce it. */
  private async fired(rootId: string, body: string): Promise<void> {
    const decoded = this.deps.codec.decode(body);
    if (!decoded.ok) return;
    await this.deps.store().recordMembers(rootId, [{ id: decoded.message.id, body }], this.deps.resultExpiresMs);
    this.deps.announce(decoded.message);
  }

  /** A task with canvas headers failed or was revoked: run its errbacks, stop its chain, fail its chord. */
  async onFailed(msg: TaskMessage, error: RemoteError): Promise<void> {
    if (this.deps.foreign) return this.deps.foreign.onFailed(msg, error);
    const h = msg.headers;
    const rootId = str(h.rootId) ?? msg.id;
    for (const errback of (h.errbacks as CanvasJSON[] | undefined) ?? []) {
      // The errback gets the failed task's id and error in front of its own arguments.
      const node = assignIds(errback);
      const withArgs = node.kind === 'task' && !node.immutable ? { ...node, args: [msg.id, error, ...node.args], immutable: true } : node;
      await this.execute(this.planner.plan(withArgs, { rootId, parentId: msg.id, chain: [] }), rootId);
    }
    const chain = (h.chain as CanvasJSON[] | undefined) ?? [];
    if (chain.length > 0) await this.stopChain(msg, chain, rootId);
    const chord = h.chord as ChordRef | undefined;
    if (chord) await this.failChord(msg, chord, error);
  }

  /** The steps after a failed task never run: each gets a REVOKED result naming the failure, and an event. */
  private async stopChain(msg: TaskMessage, chain: CanvasJSON[], rootId: string): Promise<void> {
    const reason = `chain stopped: task ${msg.id} (${msg.task}) failed`;
    const dateDone = new Date().toISOString();
    const backend = this.deps.results.backend;
    for (const t of chain.flatMap(tasksIn)) {
      const id = t.options.taskId;
      if (id === undefined) continue;
      const queue = t.options.queue ?? this.deps.defaultQueue();
      const record: ResultRecord = { id, task: t.task, queue, state: 'REVOKED', reason, retries: 0, attempts: [], dateDone };
      await backend.storeUnlessReady(record, this.deps.resultExpiresMs);
      this.deps.emit({ type: 'task-revoked', id, name: t.task, queue, retries: 0, rootId, terminated: false, expired: false });
    }
  }

  /** Reports a failed member to its chord; the failure that fails the chord fails the callback. */
  private async failChord(msg: TaskMessage, chord: ChordRef, error: RemoteError): Promise<void> {
    const reply = await this.deps
      .store()
      .joinChord({ groupId: chord.groupId, queue: chord.queue }, chord.index, { ok: false, memberId: msg.id }, this.deps.resultExpiresMs);
    if (reply.kind !== 'failed') return;
    const decoded = this.deps.codec.decode(reply.body);
    if (!decoded.ok) return;
    const callback = decoded.message;
    const chordError = errorToRemote(new ChordError(msg.id, chord.index, error));
    delete chordError.stack;
    const record: ResultRecord = {
      id: callback.id,
      task: callback.task,
      queue: callback.queue,
      state: 'FAILURE',
      error: chordError,
      retries: 0,
      attempts: [],
      dateDone: new Date().toISOString(),
    };
    if (!reply.first) {
      // A redelivered (or later) failure: make sure the callback's result says so, nothing more.
      await this.deps.results.backend.storeUnlessReady(record, this.deps.resultExpiresMs);
      return;
    }
    await this.deps.results.backend.store(record, this.deps.resultExpiresMs);
    this.deps.emit({ type: 'task-failed', ...taskEventFields(callback), runtime: 0, error: chordError });
    // The callback failed without running: its errbacks, the rest of its chain and its own chord carry on from here.
    await this.onFailed(callback, chordError);
  }
}
