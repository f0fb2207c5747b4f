// Remote control of workers, over the control bus (a port: see control-bus.ts). A request
// names a command, its arguments, optional destinations (hostnames) and a
// reply key; each addressed worker pushes its reply to that key and the caller
// collects replies until the timeout or until every named destination replied.
// The vocabulary follows Celery's (ping, inspect active/reserved/…, revoke,
// rate_limit, time_limit, pool_grow/shrink, add/cancel_consumer, shutdown) in
// camelCase.
import { randomUUID } from 'node:crypto';
import type { WorkerHeartbeat } from '../events/events.js';
import type { ResultBackend } from '../result/backend.js';
import { READY_STATES } from '../result/record.js';
import { toMs, type Duration } from '../time/duration.js';
import type { Broker } from '../worker/broker.js';
import type { ControlBus } from './control-bus.js';
import type { WorkerRegistry } from './worker-registry.js';

export interface RevokeMessage {
  type: 'revoke';
  ids: string[];
  terminate: boolean;
  [key: string]: unknown;
}

export type ControlCommand =
  | 'ping'
  | 'inspect'
  | 'revoke'
  | 'rateLimit'
  | 'timeLimit'
  | 'poolGrow'
  | 'poolShrink'
  | 'addConsumer'
  | 'cancelConsumer'
  | 'shutdown';

export type InspectWhat = 'active' | 'reserved' | 'scheduled' | 'revoked' | 'registered' | 'stats' | 'conf' | 'activeQueues';

export const INSPECT_METHODS: readonly InspectWhat[] = ['active', 'reserved', 'scheduled', 'revoked', 'registered', 'stats', 'conf', 'activeQueues'];

/** The message workers receive on the control channel. */
export interface ControlRequest {
  type: 'control';
  command: ControlCommand;
  arguments: Record<string, unknown>;
  /** Hostnames that must act; null: every worker. */
  destination: string[] | null;
  /** Reply key; absent when no reply is wanted. */
  replyTo?: string | undefined;
  [key: string]: unknown;
}

export interface ControlOptions {
  /** Only these workers (hostnames). Default: all. */
  destination?: string | string[] | undefined;
  /** How long to collect replies. Default 1 s. Ends early once every named destination replied. */
  timeout?: Duration | undefined;
}

/** Replies keyed by worker hostname. */
export type Replies<T> = Record<string, T>;

/** A command's outcome on one worker. */
export type ControlOk = { ok: string } | { error: string };

/** A task a worker holds (running for `active`, prefetched for `reserved`). */
export interface TaskInfo {
  id: string;
  name: string;
  args: string;
  queue: string;
  hostname: string;
  retries: number;
  deliveries: number;
  /** Epoch ms when it started running; null while reserved. */
  startedAt: number | null;
  eta?: number | undefined;
}

export interface WorkerStats extends WorkerHeartbeat {
  prefetch: number;
  broker: string;
  /** Run counts per task name since the worker started. */
  total: Record<string, number>;
  rateLimits: Record<string, string | null>;
  timeLimits: Record<string, { soft: number | null; hard: number | null }>;
}

export interface InspectReplies {
  active: TaskInfo[];
  reserved: TaskInfo[];
  scheduled: TaskInfo[];
  revoked: string[];
  registered: string[];
  stats: WorkerStats;
  conf: Record<string, unknown>;
  activeQueues: { name: string }[];
}

/** A live worker from the heartbeat registry. */
export interface WorkerStatus {
  hostname: string;
  lastHeartbeat: number;
  /** ms after which, without a new heartbeat, the worker counts as offline. */
  expiresAt: number;
  heartbeat: WorkerHeartbeat | undefined;
}

const DEFAULT_TIMEOUT = 1_000;

export class Inspector {
  constructor(
    private readonly control: Control,
    private readonly options: ControlOptions,
  ) {}

  private ask<K extends InspectWhat>(what: K): Promise<Replies<InspectReplies[K]>> {
    return this.control.broadcast<InspectReplies[K]>('inspect', { what }, this.options);
  }
  active(): Promise<Replies<TaskInfo[]>> {
    return this.ask('active');
  }
  reserved(): Promise<Replies<TaskInfo[]>> {
    return this.ask('reserved');
  }
  scheduled(): Promise<Replies<TaskInfo[]>> {
    return this.ask('scheduled');
  }
  revoked(): Promise<Replies<string[]>> {
    return this.ask('revoked');
  }
  registered(): Promise<Replies<string[]>> {
    return this.ask('registered');
  }
  stats(): Promise<Replies<WorkerStats>> {
    return this.ask('stats');
  }
  conf(): Promise<Replies<Record<string, unknown>>> {
    return this.ask('conf');
  }
  activeQueues(): Promise<Replies<{ name: string }[]>> {
    return this.ask('activeQueues');
  }
}

export class Control {
  constructor(
    private readonly deps: {
      broker: () => Broker;
      bus: () => ControlBus;
      registry: () => WorkerRegistry;
      backend: () => ResultBackend;
      revokeExpiresMs: number;
      resultExpiresMs: number;
    },
  ) {}

  /**
   * Revokes tasks. Queued or delayed copies never start (the broker drops
   * them at reserve); running ones see their signal abort, and with `terminate`
   * are cut loose after a grace period. The state becomes REVOKED either way.
   */
  async revoke(ids: string | string[], options: { terminate?: boolean | undefined } = {}): Promise<void> {
    const list = Array.isArray(ids) ? ids : [ids];
    await this.deps.broker().revoke(list, this.deps.revokeExpiresMs);
    const message: RevokeMessage = { type: 'revoke', ids: list, terminate: options.terminate ?? false };
    await this.deps.bus().publish(message);
    const backend = this.deps.backend();
    for (const id of list) {
      const current = await backend.get(id);
      if (current && READY_STATES.has(current.state)) continue;
      // A running task also reports REVOKED when it settles; recording it now
      // makes a delayed task's state right long before its ETA.
      await backend.storeUnlessReady(
        { id, task: current?.task, state: 'REVOKED', reason: 'revoked', retries: current?.retries ?? 0, attempts: current?.attempts ?? [], dateDone: new Date().toISOString() },
        this.deps.resultExpiresMs,
      );
    }
  }

  /**
   * Sends a command and collects replies keyed by hostname, until `timeout`
   * (default 1 s) or until every named destination (or, for a broadcast,
   * every worker in the heartbeat registry) replied.
   */
  async broadcast<T>(command: ControlCommand, args: Record<string, unknown>, options: ControlOptions = {}): Promise<Replies<T>> {
    const bus = this.deps.bus();
    const destination = options.destination === undefined ? null : Array.isArray(options.destination) ? options.destination : [options.destination];
    const timeoutMs = options.timeout === undefined ? DEFAULT_TIMEOUT : toMs(options.timeout, 'timeout');
    const replyTo = randomUUID();
    const expected = destination ? destination.length : (await this.deps.registry().list()).length || undefined;
    const request: ControlRequest = { type: 'control', command, arguments: args, destination, replyTo };
    await bus.publish(request);
    const envelopes = await bus.collectReplies(replyTo, timeoutMs, expected);
    const out: Replies<T> = {};
    for (const e of envelopes) out[e.hostname] = JSON.parse(e.reply) as T;
    return out;
  }

  /** Reply from every addressed worker: `{ hostname: { ok: 'pong' } }`. */
  ping(options: ControlOptions = {}): Promise<Replies<ControlOk>> {
    return this.broadcast('ping', {}, options);
  }

  inspect(options: ControlOptions = {}): Inspector {
    return new Inspector(this, options);
  }

  /** Revokes and collects acknowledgements from the workers (the plain `revoke` does not wait). */
  async revokeAndWait(ids: string | string[], options: ControlOptions & { terminate?: boolean | undefined } = {}): Promise<Replies<ControlOk>> {
    const list = Array.isArray(ids) ? ids : [ids];
    await this.revoke(list, options);
    return this.broadcast('revoke', { ids: list, terminate: options.terminate ?? false }, options);
  }

  /** Sets (or with null, removes) a task's rate limit on the addressed workers, e.g. '10/s', '100/m'. */
  rateLimit(task: string, rate: string | null, options: ControlOptions = {}): Promise<Replies<ControlOk>> {
    return this.broadcast('rateLimit', { task, rate }, options);
  }

  /** Sets a task's soft and hard time limits on the addressed workers (null removes one). */
  timeLimit(task: string, limits: { soft?: Duration | null; hard?: Duration | null }, options: ControlOptions = {}): Promise<Replies<ControlOk>> {
    const ms = (d: Duration | null | undefined, field: string): number | null => (d === undefined || d === null ? null : toMs(d, field));
    return this.broadcast('timeLimit', { task, soft: ms(limits.soft, 'soft'), hard: ms(limits.hard, 'hard') }, options);
  }

  poolGrow(n = 1, options: ControlOptions = {}): Promise<Replies<ControlOk>> {
    return this.broadcast('poolGrow', { n }, options);
  }

  poolShrink(n = 1, options: ControlOptions = {}): Promise<Replies<ControlOk>> {
    return this.broadcast('poolShrink', { n }, options);
  }

  addConsumer(queue: string, options: ControlOptions = {}): Promise<Replies<ControlOk>> {
    return this.broadcast('addConsumer', { queue }, options);
  }

  cancelConsumer(queue: string, options: ControlOptions = {}): Promise<Replies<ControlOk>> {
    return this.broadcast('cancelConsumer', { queue }, options);
  }

  /** Asks the addressed workers to shut down warmly (finish running tasks, hand back the rest). */
  shutdown(options: ControlOptions = {}): Promise<Replies<ControlOk>> {
    return this.broadcast('shutdown', {}, options);
  }

  /** Live workers from the heartbeat registry (no round trip to the workers themselves). */
  async workers(): Promise<WorkerStatus[]> {
    return (await this.deps.registry().list()).map((w) => {
      let heartbeat: WorkerHeartbeat | undefined;
      try {
        heartbeat = JSON.parse(w.info) as WorkerHeartbeat;
      } catch {
        heartbeat = undefined;
      }
      return { hostname: w.hostname, lastHeartbeat: w.lastHeartbeat, expiresAt: w.expiresAt, heartbeat };
    });
  }
}
