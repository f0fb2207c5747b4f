// The canvas in protocol 'celery': chains, groups, chords, links and
// errbacks in Celery's own embed, so a canvas crosses the language boundary in
// both directions. Celery 5.2.6 is the reference (celery/canvas.py,
// app/trace.py, backends/base.py, backends/redis.py):
//
// - A signature travels as Celery's dict {task, args, kwargs, options,
//   subtask_type, immutable} (5.2.6 writes no chord_size). A chain is
//   subtask_type 'chain' with kwargs.tasks, a group 'group' with kwargs.tasks
//   (its id in options.task_id), a chord 'chord' with kwargs.header (a group)
//   and kwargs.body.
// - A task message's body is [args, kwargs, embed]; embed.chain holds the rest
//   of its chain *reversed* (the next step is the last element), embed.chord
//   the chord body it reports to, embed.callbacks / errbacks its links.
// - When a task succeeds, the worker applies each callback and pops the next
//   chain step with the result prepended (unless the signature is immutable),
//   passing the rest of the chain on; a chord member reports to Celery's Redis
//   join (CeleryResultBackend.chordPartReturn), and the member that completes
//   it sends the body with the results in group-index order. A Python member
//   and a TypeScript member count in the same keys, so either may fire it.
// - When a task fails, its errbacks are sent with the failed task's id as
//   their argument (Celery's task-style errbacks), the rest of its chain is
//   marked failed with the same error (a chain step in a chord reports it), and
//   a chord member reports the failure: the chord's body then fails with
//   ChordError naming the member, and the body's errbacks run.
//
// Not supported: Python's "new style" errbacks (a Python function taking
// (request, exc, traceback), which Celery calls inline inside the worker that
// ran the failed task) are sent as tasks like the old style, with the failed
// task's id; a Python errback of that kind fails with a TypeError when a Lovage
// worker ran the failed task. `app.workflows.retryFailed()` needs Lovage's own
// workflow store and is not available in this mode.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../app/logger.js';
import { ConfigError } from '../../errors.js';
import type { ResultHost } from '../../result/async-result.js';
import type { RemoteError, ResultRecord } from '../../result/record.js';
import type { CanvasJSON, SignatureOptions } from '../../canvas/signature.js';
import type { TaskMessage } from '../../task/message.js';
import { fromJsonValue } from '../../task/serialization.js';
import { buildMessage } from '../../task/task.js';
import { toMs } from '../../time/duration.js';
import { CeleryResultBackend, type ChordPart } from './celery-result-backend.js';
import { decodeKombuValue, stringifyKombuJson, type KombuDialect } from './kombu-json.js';
import { formatPythonDatetime, parsePythonDatetime } from './python-datetime.js';
import { pythonRepr } from './python-repr.js';
import type { CeleryEmbed } from './task-message.js';

/** Celery's dict form of a signature (celery.canvas.Signature as JSON). */
export interface CelerySignature {
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  options: Record<string, unknown>;
  subtask_type: 'chain' | 'group' | 'chord' | null;
  immutable: boolean;
}

/** The options an apply_async call adds to a signature's own (Celery's _merge: the call's win, but not over a group_id). */
interface Call {
  /** Celery's partial args: prepended to a mutable signature's args (decoded values). */
  partial: unknown[];
  /** The embed chain to carry on (reversed: the next step last). */
  chain?: unknown[] | undefined;
  parentId?: string | undefined;
  rootId?: string | undefined;
  priority?: number | undefined;
  groupId?: string | undefined;
  groupIndex?: number | undefined;
  chord?: unknown;
}

/** What applying produces: chord sizes to set first (so no member can complete before), then the messages. */
interface Sending {
  chordSizes: { groupId: string; size: number }[];
  messages: TaskMessage[];
}

export interface CeleryCanvasDeps {
  readonly dialect: KombuDialect;
  readonly logger: Logger;
  readonly resultExpiresMs: number;
  readonly results: ResultHost;
  defaultQueue(): string;
  publish(messages: TaskMessage[]): Promise<void>;
}

const PROPAGATE_STATES = new Set(['FAILURE', 'REVOKED']);

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : v === undefined || v === null ? [] : [v]);

function isSignature(value: unknown): value is CelerySignature {
  return typeof value === 'object' && value !== null && typeof (value as { task?: unknown }).task === 'string';
}

/** A wire dict as a signature (missing fields as Celery's from_dict defaults them), or a clear error. */
function signatureOf(value: unknown, where: string): CelerySignature {
  if (!isSignature(value)) throw new ConfigError(`${where}: not a Celery signature (a dict with "task"): ${JSON.stringify(value)?.slice(0, 200)}`);
  const v = value as Partial<CelerySignature> & { task: string };
  const type = v.subtask_type;
  return {
    task: v.task,
    args: Array.isArray(v.args) ? v.args : [],
    kwargs: typeof v.kwargs === 'object' && v.kwargs !== null ? v.kwargs : {},
    options: typeof v.options === 'object' && v.options !== null ? v.options : {},
    subtask_type: type === 'chain' || type === 'group' || type === 'chord' ? type : null,
    immutable: v.immutable === true,
  };
}

/** A chain's steps, nested chains spliced in (Celery's prepare_steps unrolls them). */
function flatSteps(sig: CelerySignature): CelerySignature[] {
  return list(sig.kwargs.tasks)
    .map((t, i) => signatureOf(t, `chain step ${i}`))
    .flatMap((s) => (s.subtask_type === 'chain' ? flatSteps(s) : [s]));
}

/** A group's members with nested groups unrolled into it, as Celery's group._prepared does: they share its id and its indexes. */
function membersOf(tasks: unknown[], where: string): CelerySignature[] {
  return tasks
    .map((t, i) => signatureOf(t, `${where} ${i}`))
    .flatMap((s) => (s.subtask_type === 'group' ? membersOf(list(s.kwargs.tasks), where) : [s]));
}

/** The members of a chord's header (a group dict, or a plain list of signatures). */
function headerOf(sig: CelerySignature): CelerySignature[] {
  const header = sig.kwargs.header;
  if (Array.isArray(header)) return membersOf(header, 'chord header');
  return membersOf([header], 'chord header');
}

/** How many parts a header member reports (Celery's chord._descend): a group its members, a chain its last step. */
function chordSizeOf(sig: CelerySignature): number {
  switch (sig.subtask_type) {
    case 'group':
      return list(sig.kwargs.tasks).reduce<number>((n, t) => n + chordSizeOf(signatureOf(t, 'group member')), 0);
    case 'chain': {
      const steps = flatSteps(sig);
      for (const step of steps.reverse()) {
        const size = chordSizeOf(step);
        if (size > 0) return size;
      }
      return 0;
    }
    default:
      return 1;
  }
}

const group = (tasks: unknown[], options: Record<string, unknown> = {}): CelerySignature => ({
  task: 'celery.group',
  args: [],
  kwargs: { tasks },
  options,
  subtask_type: 'group',
  immutable: false,
});

const chord = (header: CelerySignature, body: CelerySignature, options: Record<string, unknown> = {}): CelerySignature => ({
  task: 'celery.chord',
  args: [],
  kwargs: { kwargs: {}, header, body },
  options,
  subtask_type: 'chord',
  immutable: false,
});

export class CeleryCanvas {
  constructor(private readonly deps: CeleryCanvasDeps) {}

  // ---- Lovage's canvas JSON as Celery signatures -------------------------------------------

  /** Values in kombu's JSON (what a signature's args hold on the wire) from the engine's JSON. */
  private wire(value: unknown): unknown {
    return JSON.parse(stringifyKombuJson(fromJsonValue(value), this.deps.dialect, 'args')) as unknown;
  }

  private optionsOf(o: SignatureOptions, link: CanvasJSON[] | undefined, linkError: CanvasJSON[] | undefined): Record<string, unknown> {
    const options: Record<string, unknown> = {};
    if (o.taskId !== undefined) options.task_id = o.taskId;
    if (o.queue !== undefined) options.queue = o.queue;
    if (o.priority !== undefined) options.priority = o.priority;
    if (o.countdown !== undefined) options.countdown = toMs(o.countdown, 'countdown') / 1000;
    if (o.eta !== undefined) options.eta = formatPythonDatetime(new Date(o.eta));
    if (o.expiresAt !== undefined) options.expires = formatPythonDatetime(new Date(o.expiresAt));
    else if (o.expires !== undefined) options.expires = toMs(o.expires, 'expires') / 1000;
    if (link?.length) options.link = link.map((l) => this.toSignature(l));
    if (linkError?.length) options.link_error = linkError.map((l) => this.toSignature(l));
    return options;
  }

  /** A canvas (ids assigned) as the Celery signature a Python producer would have built. */
  toSignature(node: CanvasJSON): CelerySignature {
    switch (node.kind) {
      case 'task':
        return {
          task: node.task,
          args: this.wire(node.args) as unknown[],
          kwargs: this.wire(node.kwargs ?? {}) as Record<string, unknown>,
          options: this.optionsOf(node.options, node.link, node.linkError),
          subtask_type: null,
          immutable: node.immutable,
        };
      case 'chain':
        return { task: 'celery.chain', args: [], kwargs: { tasks: node.tasks.map((t) => this.toSignature(t)) }, options: {}, subtask_type: 'chain', immutable: false };
      case 'group':
        return group(node.tasks.map((t) => this.toSignature(t)), node.id === undefined ? {} : { task_id: node.id });
      case 'chord':
        return chord(this.toSignature(node.header), this.toSignature(node.body));
    }
  }

  // ---- Applying signatures (producers and workers alike) ----------------------------------

  /** Applies a canvas from a producer (ids assigned), in the workflow `rootId`, under `parentId` when inside a task. */
  async apply(node: CanvasJSON, rootId: string, parentId: string | undefined): Promise<void> {
    const sending: Sending = { chordSizes: [], messages: [] };
    this.add(sending, this.toSignature(node), { partial: [], rootId, parentId });
    await this.send(sending);
  }

  private async send(sending: Sending): Promise<void> {
    if (sending.chordSizes.length > 0) {
      const backend = this.backend();
      await Promise.all(sending.chordSizes.map((c) => backend.setChordSize(c.groupId, c.size, this.deps.resultExpiresMs)));
    }
    if (sending.messages.length > 0) await this.deps.publish(sending.messages);
  }

  private backend(): CeleryResultBackend {
    const backend = this.deps.results.backend;
    if (!(backend instanceof CeleryResultBackend)) {
      throw new ConfigError("backend: chords with protocol 'celery' join in Celery's Redis result backend; leave `backend` unset (or the broker's URL)");
    }
    return backend;
  }

  private add(sending: Sending, sig: CelerySignature, call: Call): void {
    switch (sig.subtask_type) {
      case null:
        sending.messages.push(this.message(sig, call));
        return;
      case 'chain':
        return this.addChain(sending, sig, call);
      case 'group':
        return this.addGroup(sending, sig, call);
      case 'chord':
        return this.addChord(sending, sig, call);
    }
  }

  /**
   * Celery's chain.run: a group followed by a step becomes a chord of the two;
   * the first step is sent with the rest (reversed) as its embed chain; when the
   * chain belongs to a group or chord, its last step carries that membership.
   */
  private addChain(sending: Sending, sig: CelerySignature, call: Call): void {
    const steps: CelerySignature[] = [];
    for (const step of flatSteps(sig)) {
      const previous = steps[steps.length - 1];
      if (previous?.subtask_type === 'group') steps[steps.length - 1] = chord(previous, step);
      else steps.push(step);
    }
    const withId = steps.map((s) => (s.subtask_type === null && s.options.task_id === undefined ? { ...s, options: { ...s.options, task_id: randomUUID() } } : s));
    const last = withId[withId.length - 1];
    if (!last) return;
    if (withId.length > 1 && (call.groupId !== undefined || call.chord !== undefined)) {
      const membership: Record<string, unknown> = { group_id: call.groupId, group_index: call.groupIndex, chord: call.chord };
      withId[withId.length - 1] = { ...last, options: { ...last.options, ...membership } };
    }
    const [first, ...rest] = withId;
    const carried = [...(call.chain ?? []), ...rest.reverse()];
    const single = withId.length === 1;
    this.add(sending, first!, {
      ...call,
      chain: carried.length > 0 ? carried : undefined,
      ...(single ? {} : { groupId: undefined, groupIndex: undefined, chord: undefined }),
    });
  }

  /** Celery's group: each member with the group's id and its index; followed by a chain step, it is a chord. */
  private addGroup(sending: Sending, sig: CelerySignature, call: Call): void {
    const next = call.chain?.[call.chain.length - 1];
    if (next !== undefined) {
      const body = signatureOf(next, 'chain step');
      return this.addChord(sending, chord(sig, body), { ...call, chain: call.chain!.slice(0, -1) });
    }
    const groupId = str(sig.options.task_id) ?? randomUUID();
    membersOf(list(sig.kwargs.tasks), 'group member').forEach((member, index) => this.add(sending, member, { ...call, groupId, groupIndex: index }));
  }

  /**
   * Celery's chord.run: the body takes the call's options (its chain, the chord
   * it reports to), the size goes to `.s` before any member is sent, and each
   * header member carries the body as its embed chord.
   */
  private addChord(sending: Sending, sig: CelerySignature, call: Call): void {
    const headerSig = signatureOf(sig.kwargs.header, 'chord header');
    const groupId = (headerSig.subtask_type === 'group' ? str(headerSig.options.task_id) : undefined) ?? randomUUID();
    const members = headerOf(sig);
    const bodySig = signatureOf(sig.kwargs.body, 'chord body');
    const carried: Record<string, unknown> = {};
    if (call.chain?.length) carried.chain = call.chain;
    if (call.chord !== undefined) Object.assign(carried, { chord: call.chord, group_id: call.groupId, group_index: call.groupIndex });
    if (call.rootId !== undefined) carried.root_id = call.rootId;
    const body = { ...bodySig, options: { ...bodySig.options, ...carried, task_id: str(bodySig.options.task_id) ?? randomUUID() } };
    if (members.length === 0) {
      // Nothing to wait for: the body runs at once with an empty list.
      this.add(sending, body, { partial: [[]], rootId: call.rootId, parentId: call.parentId });
      return;
    }
    sending.chordSizes.push({ groupId, size: members.reduce((n, m) => n + chordSizeOf(m), 0) });
    members.forEach((member, index) =>
      this.add(sending, member, { partial: call.partial, rootId: call.rootId, parentId: call.parentId, priority: call.priority, groupId, groupIndex: index, chord: body }),
    );
  }

  /** One task signature as a message: Celery's _merge of the call into the signature, then send_task's options. */
  private message(sig: CelerySignature, call: Call): TaskMessage {
    const o: Record<string, unknown> = { ...sig.options };
    const callOptions: Record<string, unknown> = {
      chain: call.chain,
      parent_id: call.parentId,
      root_id: call.rootId,
      priority: call.priority,
      group_id: call.groupId,
      group_index: call.groupIndex,
      chord: call.chord,
    };
    for (const [key, value] of Object.entries(callOptions)) {
      if (value === undefined || (key === 'group_id' && o.group_id !== undefined && o.group_id !== null)) continue;
      o[key] = value;
    }
    const own = decodeKombuValue(sig.args, 'args') as unknown[];
    const args = sig.immutable ? own : [...call.partial, ...own];
    const kwargs = decodeKombuValue(sig.kwargs, 'kwargs') as Record<string, unknown>;
    const id = str(o.task_id) ?? randomUUID();
    const eta = str(o.eta) === undefined ? undefined : parsePythonDatetime(str(o.eta)!);
    const countdown = num(o.countdown);
    const expiresAt = str(o.expires) === undefined ? undefined : parsePythonDatetime(str(o.expires)!);
    const expiresIn = num(o.expires);
    const embed: CeleryEmbed = {
      callbacks: o.link === undefined || o.link === null ? null : list(o.link),
      errbacks: o.link_error === undefined || o.link_error === null ? null : list(o.link_error),
      chain: Array.isArray(o.chain) && o.chain.length > 0 ? (o.chain as unknown[]) : null,
      chord: o.chord ?? null,
    };
    const headers: Record<string, unknown> = { rootId: str(o.root_id) ?? id };
    if (str(o.parent_id) !== undefined) headers.parentId = o.parent_id;
    if (str(o.group_id) !== undefined) headers.groupId = o.group_id;
    if (num(o.group_index) !== undefined) headers.groupIndex = o.group_index;
    if (embed.callbacks || embed.errbacks || embed.chain || embed.chord) headers.embed = embed;
    return buildMessage(
      sig.task,
      args,
      {},
      {
        kwargs,
        eta,
        countdown: eta === undefined && countdown !== undefined ? countdown * 1000 : undefined,
        // Celery: a number of seconds counts from now, a datetime is absolute.
        expires: expiresAt ?? (expiresIn !== undefined ? new Date(Date.now() + expiresIn * 1000) : undefined),
        queue: str(o.queue) ?? str(o.routing_key),
        priority: num(o.priority),
        taskId: id,
        headers,
      },
      this.deps.defaultQueue(),
    );
  }

  // ---- A worker carrying a canvas on ------------------------------------------------------

  /** Celery's trace on success: callbacks, then the next chain step, then the chord part. `result` is engine JSON. */
  async onSucceeded(msg: TaskMessage, result: unknown): Promise<void> {
    const embed = msg.headers.embed as CeleryEmbed | undefined;
    if (!embed) return;
    const value = fromJsonValue(result);
    const call: Call = { partial: [value], parentId: msg.id, rootId: str(msg.headers.rootId) ?? msg.id, priority: msg.priority };
    const sending: Sending = { chordSizes: [], messages: [] };
    const callbacks = (embed.callbacks ?? []).map((c, i) => signatureOf(c, `callbacks[${i}]`));
    if (callbacks.length === 1) this.add(sending, callbacks[0]!, call);
    else if (callbacks.length > 1) {
      // As Celery: group callbacks apply on their own, the others together as one group.
      const plain = callbacks.filter((c) => c.subtask_type !== 'group');
      for (const g of callbacks.filter((c) => c.subtask_type === 'group')) this.add(sending, g, call);
      if (plain.length > 0) this.add(sending, group(plain), call);
    }
    const chain = embed.chain ?? [];
    if (chain.length > 0) {
      this.add(sending, signatureOf(chain[chain.length - 1], 'chain step'), { ...call, chain: chain.slice(0, -1) });
    }
    await this.send(sending);
    if (embed.chord !== null && embed.chord !== undefined) {
      await this.partReturn(msg.headers.groupId, num(msg.headers.groupIndex), embed.chord, { id: msg.id, state: 'SUCCESS', result: value });
    }
  }

  /** Celery's mark_as_failure: the chord part, the rest of the chain failed alike, then the errbacks. */
  async onFailed(msg: TaskMessage, error: RemoteError): Promise<void> {
    const embed = msg.headers.embed as CeleryEmbed | undefined;
    if (!embed) return;
    const state = error.name === 'TaskRevokedError' ? 'REVOKED' : 'FAILURE';
    const exc = { exc_type: error.name, exc_message: [error.message], exc_module: state === 'REVOKED' ? 'celery.exceptions' : 'lovage' };
    if (embed.chord !== null && embed.chord !== undefined) {
      await this.partReturn(msg.headers.groupId, num(msg.headers.groupIndex), embed.chord, { id: msg.id, state, result: exc });
    }
    for (const [i, raw] of (embed.chain ?? []).entries()) {
      const step = signatureOf(raw, `chain[${i}]`);
      const id = str(step.options.task_id);
      if (id !== undefined) await this.storeFailure(id, step.task, error);
      if (id !== undefined && step.options.chord !== undefined && step.options.chord !== null) {
        await this.partReturn(step.options.group_id, num(step.options.group_index), step.options.chord, { id, state, result: exc });
      }
    }
    await this.errbacks(embed.errbacks ?? [], msg.id, str(msg.headers.rootId) ?? msg.id);
  }

  /** Task-style errbacks, as one group with the failed task's id as their argument (Celery's _call_task_errbacks). */
  private async errbacks(errbacks: unknown[], failedId: string, rootId: string): Promise<void> {
    if (errbacks.length === 0) return;
    const sending: Sending = { chordSizes: [], messages: [] };
    this.add(sending, group(errbacks), { partial: [failedId], parentId: failedId, rootId });
    await this.send(sending);
  }

  private async storeFailure(id: string, task: string, error: RemoteError): Promise<void> {
    const record: ResultRecord = { id, task, queue: this.deps.defaultQueue(), state: 'FAILURE', error: { name: error.name, message: error.message }, retries: 0, attempts: [], dateDone: new Date().toISOString() };
    await this.deps.results.backend.store(record, this.deps.resultExpiresMs);
  }

  /**
   * Reports a part to its chord; when it completes the chord, sends the body
   * with the results in order, or fails the body with ChordError naming the
   * first failed member (and sends the body's errbacks), as Celery does.
   */
  private async partReturn(groupId: unknown, groupIndex: number | undefined, rawBody: unknown, part: ChordPart): Promise<void> {
    const gid = str(groupId);
    if (gid === undefined) return;
    const parts = await this.backend().chordPartReturn(gid, groupIndex, part, this.deps.resultExpiresMs);
    if (!parts) return;
    const body = signatureOf(rawBody, 'chord body');
    const bodyId = str(body.options.task_id) ?? randomUUID();
    const failed = parts.find((p) => PROPAGATE_STATES.has(p.state));
    if (failed) {
      const exc = failed.result as { exc_type?: unknown; exc_message?: unknown };
      const text = `${str(exc.exc_type) ?? 'Exception'}(${list(exc.exc_message).map((a) => pythonRepr(a)).join(', ')})`;
      const error = { name: 'ChordError', message: `Dependency ${failed.id} raised ${text}` };
      this.deps.logger.warn({ chord: gid, member: failed.id }, 'chord member failed: its body fails with ChordError');
      await this.errbacks(list(body.options.link_error), bodyId, str(body.options.root_id) ?? bodyId);
      await this.storeFailure(bodyId, body.task, error);
      return;
    }
    const sending: Sending = { chordSizes: [], messages: [] };
    const results = parts.map((p) => decodeKombuValue(p.result, 'result'));
    this.add(sending, { ...body, options: { ...body.options, task_id: bodyId } }, { partial: [results] });
    await this.send(sending);
  }
}
