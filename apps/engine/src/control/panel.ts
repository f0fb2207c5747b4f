// A worker's control panel: it listens on the control bus, keeps what remote
// control set on this worker (revoked ids, rate and time limits), and answers
// commands (ping, inspect, revoke, rateLimit, timeLimit, poolGrow/Shrink,
// add/cancelConsumer, shutdown). It sees the worker only through PanelTarget,
// so it never imports the worker.
import { parseRateLimit } from '../worker/rate-limit.js';
import type { ControlBus, ControlMessage } from './control-bus.js';
import { INSPECT_METHODS, type ControlRequest, type InspectWhat, type TaskInfo, type WorkerStats } from './control.js';

/** What the panel reads from and does to its worker. */
export interface PanelTarget {
  readonly hostname: string;
  readonly queues: string[];
  readonly pool: 'async' | 'threads';
  readonly concurrency: number;
  readonly prefetch: number;
  /** False once the worker is stopping: it then honours revocations but answers nothing else. */
  readonly running: boolean;
  registered(): string[];
  /** Tasks held: running ones (`active`) and prefetched ones (`reserved`). */
  held(): { active: TaskInfo[]; reserved: TaskInfo[] };
  /** Heartbeat, prefetch, broker, totals (the panel adds its own limits). */
  statsReport(): Omit<WorkerStats, 'rateLimits' | 'timeLimits'>;
  conf(): Record<string, unknown>;
  resize(concurrency: number, prefetch: number): void;
  /** Aborts the running task with this id, if any; with `terminate`, cuts it loose after the grace period. */
  revokeRunning(id: string, terminate: boolean): void;
  shutdown(): void;
}

export class ControlPanel {
  private readonly revokedIds = new Map<string, number>();
  /** Rate and time limits set by remote control; they win over the task's own options on this worker. */
  private readonly rateLimits = new Map<string, string | null>();
  private readonly timeLimits = new Map<string, { soft: number | null; hard: number | null }>();
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly target: PanelTarget,
    private readonly bus: ControlBus,
    private readonly revokeExpiresMs: number,
    private readonly onError: (err: unknown, command: string) => void,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.bus.subscribe((m) => this.receive(m));
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  isRevoked(id: string): boolean {
    const until = this.revokedIds.get(id);
    return until !== undefined && until > Date.now();
  }

  /** The rate limit in force for a task: remote control's override (null: none), else undefined. */
  rateLimitOverride(task: string): string | null | undefined {
    return this.rateLimits.has(task) ? this.rateLimits.get(task) : undefined;
  }

  timeLimitOverride(task: string): { soft: number | null; hard: number | null } | undefined {
    return this.timeLimits.get(task);
  }

  private receive(message: ControlMessage): void {
    if (message.type === 'control') {
      void this.answer(message as ControlRequest);
      return;
    }
    if (message.type === 'revoke' && Array.isArray(message.ids)) this.revoke(message.ids as string[], message.terminate === true);
  }

  private revoke(ids: string[], terminate: boolean): void {
    const until = Date.now() + this.revokeExpiresMs;
    for (const id of ids) {
      this.revokedIds.set(id, until);
      this.target.revokeRunning(id, terminate);
    }
    if (this.revokedIds.size > 10_000) {
      const now = Date.now();
      for (const [id, t] of this.revokedIds) if (t < now) this.revokedIds.delete(id);
    }
  }

  private async answer(request: ControlRequest): Promise<void> {
    if (!this.target.running || (request.destination && !request.destination.includes(this.target.hostname))) return;
    let reply: unknown;
    try {
      reply = this.command(request);
    } catch (err) {
      reply = { error: err instanceof Error ? err.message : String(err) };
    }
    if (!request.replyTo) return;
    try {
      await this.bus.sendReply(request.replyTo, { hostname: this.target.hostname, reply: JSON.stringify(reply ?? null) });
    } catch (err) {
      this.onError(err, request.command);
    }
  }

  private inspect(what: InspectWhat): unknown {
    switch (what) {
      case 'active':
        return this.target.held().active;
      case 'reserved':
        return this.target.held().reserved;
      case 'scheduled':
        // ETA messages wait in the broker's delayed set, not in a worker: none are held here.
        return [];
      case 'revoked': {
        const now = Date.now();
        return [...this.revokedIds].filter(([, until]) => until > now).map(([id]) => id);
      }
      case 'registered':
        return this.target.registered();
      case 'stats': {
        const stats: WorkerStats = {
          ...this.target.statsReport(),
          rateLimits: Object.fromEntries(this.rateLimits),
          timeLimits: Object.fromEntries(this.timeLimits),
        };
        return stats;
      }
      case 'conf':
        return this.target.conf();
      case 'activeQueues':
        return this.target.queues.map((name) => ({ name }));
    }
  }

  /** Runs one remote-control command and returns the reply (or throws with a message for `{ error }`). */
  private command(request: ControlRequest): unknown {
    const a = request.arguments;
    const t = this.target;
    const str = (key: string): string => {
      const v = a[key];
      if (typeof v !== 'string' || v === '') throw new Error(`${key}: expected a non-empty string`);
      return v;
    };
    const count = (): number => {
      const n = a.n === undefined ? 1 : a.n;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new Error('n: expected a positive integer');
      return n;
    };
    const knownTask = (): string => {
      const task = str('task');
      if (!t.registered().includes(task)) throw new Error(`unknown task ${task}`);
      return task;
    };
    switch (request.command) {
      case 'ping':
        return { ok: 'pong' };
      case 'inspect': {
        const what = a.what as InspectWhat;
        if (!INSPECT_METHODS.includes(what)) throw new Error(`inspect: unknown method ${String(a.what)}`);
        return this.inspect(what);
      }
      case 'revoke': {
        const ids = Array.isArray(a.ids) ? (a.ids as string[]) : [];
        this.revoke(ids, a.terminate === true);
        return { ok: `tasks flagged as revoked: ${ids.join(', ')}` };
      }
      case 'rateLimit': {
        const task = knownTask();
        const rate = typeof a.rate === 'string' && a.rate !== '' ? a.rate : null;
        if (rate !== null) parseRateLimit(rate);
        this.rateLimits.set(task, rate);
        return { ok: rate === null ? `rate limit of ${task} removed` : `new rate limit set for ${task}: ${rate}` };
      }
      case 'timeLimit': {
        const task = knownTask();
        const num = (v: unknown): number | null => (typeof v === 'number' && v > 0 ? v : null);
        this.timeLimits.set(task, { soft: num(a.soft), hard: num(a.hard) });
        return { ok: `time limits set for ${task}` };
      }
      case 'poolGrow':
      case 'poolShrink': {
        if (t.pool === 'threads') throw new Error('the threads pool has a fixed size; restart the worker with -c');
        const n = count();
        const next = request.command === 'poolGrow' ? t.concurrency + n : Math.max(1, t.concurrency - n);
        const ratio = t.prefetch / t.concurrency;
        t.resize(next, Math.max(1, Math.round(next * ratio)));
        return { ok: `pool size is now ${next}` };
      }
      case 'addConsumer': {
        const queue = str('queue');
        if (t.queues.includes(queue)) return { ok: `already consuming from ${queue}` };
        t.queues.push(queue);
        return { ok: `now consuming from ${queue}` };
      }
      case 'cancelConsumer': {
        const queue = str('queue');
        const i = t.queues.indexOf(queue);
        if (i < 0) return { ok: `not consuming from ${queue}` };
        if (t.queues.length === 1) throw new Error(`${queue} is the only queue this worker consumes`);
        t.queues.splice(i, 1);
        return { ok: `no longer consuming from ${queue}` };
      }
      case 'shutdown':
        t.shutdown();
        return { ok: 'shutting down' };
    }
  }
}
