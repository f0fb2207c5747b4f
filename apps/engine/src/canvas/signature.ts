// Signatures and the canvas primitives (chain, group, chord) as plain,
// JSON-serializable data. A canvas is a tree of these nodes; applying it turns
// the tree into messages (planner.ts), and what is still to run after a task
// (the rest of a chain, the chord it reports to, its links) travels inside that
// task's message headers as the same JSON, so any worker can carry it on.
import { ConfigError } from '../errors.js';
import type { AsyncResult } from '../result/async-result.js';
import { encodeArgs, toJsonValue } from '../task/serialization.js';
import type { Duration } from '../time/duration.js';
import type { GroupResult } from './group-result.js';

/** Options a signature carries, as JSON (dates become epoch ms). */
export interface SignatureOptions {
  /** Assigned when the canvas is applied (or set by hand). */
  taskId?: string | undefined;
  countdown?: Duration | undefined;
  /** Epoch ms. */
  eta?: number | undefined;
  /** Relative expiry (from the eta, or from sending). */
  expires?: Duration | undefined;
  /** Absolute expiry, epoch ms. */
  expiresAt?: number | undefined;
  queue?: string | undefined;
  priority?: number | undefined;
}

export interface TaskSignatureJSON {
  kind: 'task';
  task: string;
  /** JSON-encoded arguments (dates tagged). A mutable signature gets its parent's result in front of them. */
  args: unknown[];
  kwargs?: Record<string, unknown> | undefined;
  options: SignatureOptions;
  /** true for `task.si()`: the parent's result is not passed. */
  immutable: boolean;
  /** Applied with this task's result when it succeeds (Celery's `link`, the message's `callbacks`). */
  link?: CanvasJSON[] | undefined;
  /** Applied with (failed task id, error) when it fails (Celery's `link_error`, the message's `errbacks`). */
  linkError?: CanvasJSON[] | undefined;
}

export interface ChainJSON {
  kind: 'chain';
  tasks: CanvasJSON[];
}

export interface GroupJSON {
  kind: 'group';
  /** Assigned when the canvas is applied. */
  id?: string | undefined;
  tasks: CanvasJSON[];
}

export interface ChordJSON {
  kind: 'chord';
  header: GroupJSON;
  body: CanvasJSON;
}

export type CanvasJSON = TaskSignatureJSON | ChainJSON | GroupJSON | ChordJSON;

/** What a signature needs to be applied: the app (kept narrow to avoid an import cycle). */
export interface CanvasHost {
  applyCanvas(canvas: CanvasJSON): Promise<AsyncResult<unknown> | GroupResult>;
}

/** Options `sig.set()` takes. */
export interface SetOptions {
  countdown?: Duration;
  eta?: Date | number;
  expires?: Duration | Date;
  queue?: string;
  priority?: number;
  taskId?: string;
}

/** Anything that can be a step of a chain or a member of a group. */
export type CanvasNode = Signature<unknown> | Chain<unknown> | Group | Chord<unknown>;

/** The result handle a node gives when applied. */
export type ResultOf<N> =
  N extends Signature<infer R> ? AsyncResult<R> : N extends Chord<infer R> ? AsyncResult<R> : N extends Chain<infer X> ? X : N extends Group ? GroupResult : never;

abstract class Node<Res> {
  /** The app that applies it: the first signature's (an empty group has none until it is part of a chord). */
  constructor(readonly host: CanvasHost | undefined) {}
  abstract toJSON(): CanvasJSON;
  /** Sends the canvas. Serialization errors throw here, at the call site. */
  applyAsync(): Promise<Res> {
    if (!this.host) return Promise.reject(new ConfigError(`${this.constructor.name.toLowerCase()}(): needs at least one signature to be applied`));
    return this.host.applyCanvas(this.toJSON()) as Promise<Res>;
  }
  delay(): Promise<Res> {
    return this.applyAsync();
  }
}

/** One task call, not sent yet: `task.s(...args)` (mutable) or `task.si(...args)` (immutable). */
export class Signature<R = unknown> extends Node<AsyncResult<R>> {
  readonly json: TaskSignatureJSON;

  constructor(host: CanvasHost, json: TaskSignatureJSON) {
    super(host);
    this.json = json;
  }

  /** Builds a signature; arguments are checked (SerializationError) at once. */
  static of<R>(host: CanvasHost, task: string, args: unknown[], immutable: boolean, defaults: SignatureOptions): Signature<R> {
    return new Signature<R>(host, { kind: 'task', task, args: encodeArgs(args), options: { ...defaults }, immutable });
  }

  /** Sets call options (countdown, eta, expires, queue, priority, taskId). Returns the signature. */
  set(options: SetOptions): this {
    const o = this.json.options;
    if (options.countdown !== undefined) o.countdown = options.countdown;
    if (options.eta !== undefined) o.eta = options.eta instanceof Date ? options.eta.getTime() : options.eta;
    if (options.expires instanceof Date) o.expiresAt = options.expires.getTime();
    else if (options.expires !== undefined) o.expires = options.expires;
    if (options.queue !== undefined) o.queue = options.queue;
    if (options.priority !== undefined) o.priority = options.priority;
    if (options.taskId !== undefined) o.taskId = options.taskId;
    return this;
  }

  /** Keyword arguments (the handler's trailing object). */
  withKwargs(kwargs: Record<string, unknown>): this {
    this.json.kwargs = toJsonValue(kwargs, 'kwargs') as Record<string, unknown>;
    return this;
  }

  /** Applies `next` with this task's result when it succeeds. Returns this signature. */
  link(next: CanvasNode): this {
    (this.json.link ??= []).push(next.toJSON());
    return this;
  }

  /** Applies `errback` with (failed task id, error) when this task fails. Returns this signature. */
  linkError(errback: CanvasNode): this {
    (this.json.linkError ??= []).push(errback.toJSON());
    return this;
  }

  toJSON(): TaskSignatureJSON {
    return this.json;
  }
}

/** Steps run one after another, each result handed to the next mutable signature. */
export class Chain<Res = AsyncResult<unknown>> extends Node<Res> {
  constructor(
    host: CanvasHost | undefined,
    readonly tasks: readonly CanvasNode[],
  ) {
    super(host);
  }
  toJSON(): ChainJSON {
    return { kind: 'chain', tasks: this.tasks.map((t) => t.toJSON()) };
  }
}

/** Members run in parallel; the result is a GroupResult (results in member order). */
export class Group extends Node<GroupResult> {
  constructor(
    host: CanvasHost | undefined,
    readonly tasks: readonly CanvasNode[],
  ) {
    super(host);
  }
  toJSON(): GroupJSON {
    return { kind: 'group', tasks: this.tasks.map((t) => t.toJSON()) };
  }
}

/** A group and a callback that receives the list of the members' results once every one succeeded. */
export class Chord<R = unknown> extends Node<AsyncResult<R>> {
  constructor(
    host: CanvasHost | undefined,
    readonly header: Group,
    readonly body: CanvasNode,
  ) {
    super(host);
  }
  toJSON(): ChordJSON {
    return { kind: 'chord', header: this.header.toJSON(), body: this.body.toJSON() };
  }
}

function hostOf(nodes: readonly CanvasNode[]): CanvasHost | undefined {
  for (const n of nodes) if (n.host) return n.host;
  return undefined;
}

type Last<T extends readonly unknown[]> = T extends readonly [...unknown[], infer L] ? L : CanvasNode;

/** `chain(a.s(1), b.s(), c.s())`: applying it returns the last step's result, whose `.parent` walks back. */
export function chain<T extends CanvasNode[]>(...tasks: T): Chain<ResultOf<Last<T>>> {
  return new Chain<ResultOf<Last<T>>>(hostOf(tasks), tasks);
}

/** `group([a.s(1), a.s(2)])`: members run in parallel. */
export function group(tasks: CanvasNode[]): Group {
  return new Group(hostOf(tasks), tasks);
}

/** `chord(group([...]), callback.s())`: the callback gets the members' results once all succeeded. */
export function chord<B extends CanvasNode>(header: Group | CanvasNode[], body: B): Chord<B extends Signature<infer R> ? R : unknown> {
  const g = header instanceof Group ? header : new Group(hostOf(header), header);
  return new Chord(hostOf([g, body]), g, body);
}
