// Applying a canvas: the tree of signatures becomes the messages to send now,
// and the chord joins to open before them. What runs later (the rest of a
// chain, the chord a member reports to, links and errbacks) goes into the
// messages' headers as canvas JSON; the worker that finishes a task hands that
// back here (continuation.ts), so producers and workers apply canvases alike.
//
// Shapes are reduced to a few rules, as in Celery:
// - a chain applies its first step with the rest as that step's continuation;
// - a group followed by anything in a chain is a chord (the group, the next step);
// - a chord's callback is its body's first task; a body that starts with a
//   group or chord gets the built-in identity task in front;
// - a group that must report one result (to an outer chord) is a chord with
//   the identity task as callback.
import { randomUUID } from 'node:crypto';
import { buildMessage } from '../task/task.js';
import type { TaskMessage } from '../task/message.js';
import type { ChainJSON, CanvasJSON, ChordJSON, GroupJSON, TaskSignatureJSON } from './signature.js';
import { RESULTS_PLACEHOLDER } from './workflow-store.js';

/** The built-in task a chord gets as callback when its body does not start with a task. Returns its first argument. */
export const IDENTITY_TASK = 'lovage.canvas.identity';

/** The chord a task reports to when it (and the chain it is part of) ends: carried in header `chord`. */
export interface ChordRef {
  groupId: string;
  index: number;
  callbackId: string;
  queue: string;
}

/** Where in a workflow a node is applied. */
export interface ApplyContext {
  rootId: string;
  parentId?: string | undefined;
  /** The parent's result (JSON-encoded), prepended to a mutable signature's arguments. */
  parentResult?: { value: unknown } | undefined;
  groupId?: string | undefined;
  groupIndex?: number | undefined;
  chordGroupId?: string | undefined;
  chord?: ChordRef | undefined;
  /** What runs after this node succeeds. */
  chain: CanvasJSON[];
}

export interface PlannedChord {
  groupId: string;
  size: number;
  callback: TaskMessage;
  /** The callback is mutable: its body holds the results placeholder. */
  splice: boolean;
}

export interface Plan {
  /** Opened before any message is sent, so no member can finish before its join exists. */
  chords: PlannedChord[];
  messages: TaskMessage[];
}

/** A deep copy with every task id and group id assigned (ids already set are kept). */
export function assignIds(node: CanvasJSON): CanvasJSON {
  switch (node.kind) {
    case 'task':
      return { ...node, options: { ...node.options, taskId: node.options.taskId ?? randomUUID() } };
    case 'chain':
      return { kind: 'chain', tasks: node.tasks.map(assignIds) };
    case 'group':
      return { kind: 'group', id: node.id ?? randomUUID(), tasks: node.tasks.map(assignIds) };
    case 'chord':
      return { kind: 'chord', header: assignIds(node.header) as GroupJSON, body: assignIds(node.body) };
  }
}

/** The id of the first task a node runs (a workflow's root id when it is the whole canvas). */
export function firstTaskId(node: CanvasJSON): string | undefined {
  switch (node.kind) {
    case 'task':
      return node.options.taskId;
    case 'chain':
    case 'group':
      for (const t of node.tasks) {
        const id = firstTaskId(t);
        if (id !== undefined) return id;
      }
      return undefined;
    case 'chord':
      return firstTaskId(node.header) ?? firstTaskId(node.body);
  }
}

/** Every task (with its id) in a node, links aside: used to report the steps a failure stops. */
export function tasksIn(node: CanvasJSON): TaskSignatureJSON[] {
  switch (node.kind) {
    case 'task':
      return [node];
    case 'chain':
    case 'group':
      return node.tasks.flatMap(tasksIn);
    case 'chord':
      return [...tasksIn(node.header), ...tasksIn(node.body)];
  }
}

/** A chain's steps with nested chains flattened. */
export function flatSteps(node: ChainJSON): CanvasJSON[] {
  return node.tasks.flatMap((t) => (t.kind === 'chain' ? flatSteps(t) : [t]));
}

function identity(): TaskSignatureJSON {
  return { kind: 'task', task: IDENTITY_TASK, args: [], options: { taskId: randomUUID() }, immutable: false };
}

export class Planner {
  constructor(
    private readonly defaultQueue: () => string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Plans `node` (ids assigned) in `ctx`. */
  plan(node: CanvasJSON, ctx: ApplyContext): Plan {
    const plan: Plan = { chords: [], messages: [] };
    this.add(plan, node, ctx);
    return plan;
  }

  private add(plan: Plan, node: CanvasJSON, ctx: ApplyContext): void {
    switch (node.kind) {
      case 'task':
        plan.messages.push(this.message(node, ctx));
        return;
      case 'chain': {
        const steps = flatSteps(node);
        const [first, ...rest] = steps;
        if (!first) return this.addRest(plan, ctx);
        return this.add(plan, first, { ...ctx, chain: [...rest, ...ctx.chain] });
      }
      case 'group': {
        // A group with something after it, or that must hand one result to a chord, is a chord itself.
        const [next, ...rest] = ctx.chain;
        if (next) return this.add(plan, { kind: 'chord', header: node, body: next }, { ...ctx, chain: rest });
        if (ctx.chord) return this.add(plan, { kind: 'chord', header: node, body: identity() }, ctx);
        node.tasks.forEach((member, index) =>
          this.add(plan, member, {
            rootId: ctx.rootId,
            parentId: ctx.parentId,
            parentResult: ctx.parentResult,
            groupId: node.id,
            groupIndex: index,
            chain: [],
          }),
        );
        return;
      }
      case 'chord':
        return this.addChord(plan, node, ctx);
    }
  }

  /** An empty chain: what follows runs at once, with the parent's result. */
  private addRest(plan: Plan, ctx: ApplyContext): void {
    const [next, ...rest] = ctx.chain;
    if (next) this.add(plan, next, { ...ctx, chain: rest });
  }

  private addChord(plan: Plan, node: ChordJSON, ctx: ApplyContext): void {
    const groupId = node.header.id ?? randomUUID();
    const steps = node.body.kind === 'chain' ? flatSteps(node.body) : [node.body];
    let head = steps[0];
    let rest = steps.slice(1);
    if (head?.kind !== 'task') {
      rest = head ? steps : [];
      head = identity();
    }
    const callbackId = head.options.taskId ?? randomUUID();
    head = { ...head, options: { ...head.options, taskId: callbackId } };
    const callbackCtx: ApplyContext = {
      rootId: ctx.rootId,
      groupId: ctx.groupId,
      groupIndex: ctx.groupIndex,
      chordGroupId: groupId,
      chord: ctx.chord,
      chain: [...rest, ...ctx.chain],
    };
    const members = node.header.tasks;
    if (members.length === 0) {
      // Nothing to wait for: the callback runs at once with an empty list.
      plan.messages.push(this.message(head, { ...callbackCtx, parentResult: { value: [] } }));
      return;
    }
    const callback = this.message(head, { ...callbackCtx, parentResult: { value: RESULTS_PLACEHOLDER } });
    plan.chords.push({ groupId, size: members.length, callback, splice: !head.immutable });
    members.forEach((member, index) =>
      this.add(plan, member, {
        rootId: ctx.rootId,
        parentId: ctx.parentId,
        parentResult: ctx.parentResult,
        groupId,
        groupIndex: index,
        chord: { groupId, index, callbackId, queue: callback.queue },
        chain: [],
      }),
    );
  }

  /** The message of one task signature in its context. */
  message(sig: TaskSignatureJSON, ctx: ApplyContext): TaskMessage {
    const o = sig.options;
    const args = sig.immutable || !ctx.parentResult ? sig.args : [ctx.parentResult.value, ...sig.args];
    const headers: Record<string, unknown> = { rootId: ctx.rootId };
    if (ctx.parentId !== undefined) headers.parentId = ctx.parentId;
    if (ctx.groupId !== undefined) headers.groupId = ctx.groupId;
    if (ctx.groupIndex !== undefined) headers.groupIndex = ctx.groupIndex;
    if (ctx.chordGroupId !== undefined) headers.chordGroupId = ctx.chordGroupId;
    // The embed, in Celery's names: what runs after this task.
    if (ctx.chain.length > 0) headers.chain = ctx.chain;
    if (ctx.chord) headers.chord = ctx.chord;
    if (sig.link?.length) headers.callbacks = sig.link;
    if (sig.linkError?.length) headers.errbacks = sig.linkError;
    return buildMessage(
      sig.task,
      args,
      {},
      {
        kwargs: sig.kwargs,
        countdown: o.countdown,
        eta: o.eta,
        expires: o.expiresAt !== undefined ? new Date(o.expiresAt) : o.expires,
        queue: o.queue,
        priority: o.priority,
        taskId: o.taskId,
        headers,
      },
      this.defaultQueue(),
      this.now(),
    );
  }
}
