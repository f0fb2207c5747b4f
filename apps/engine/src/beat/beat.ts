// The beat service: syncs `beatSchedule` into the schedule store, elects one
// leader among any number of beat processes, and (as leader) sends each due
// schedule's task by name.
//
// Safety does not rest on the lock alone. The lock (TTL, renewed every TTL/3)
// keeps a single beat doing the work; each occurrence is then claimed with a
// compare-and-set on its due time, so even two beats that both believe they
// lead (a paused process waking after its TTL) cannot send one occurrence
// twice. The cost is at-most-once: a beat that dies between its claim and its
// send loses that one run.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../app/logger.js';
import { ConfigError } from '../errors.js';
import { Task, type TaskHost } from '../task/task.js';
import { toMs, type Duration } from '../time/duration.js';
import { occurrencesToFire, resolveBeatSchedule } from './schedule.js';
import {
  definitionOf,
  type BeatEvent,
  type BeatEventSink,
  type ScheduleEntry,
  type ScheduleStore,
  type ScheduleSyncReport,
} from './schedule-store.js';

/** What beat needs from the app (narrow, so beat does not import the app). */
export interface BeatHost extends TaskHost {
  readonly config: { readonly beatSchedule: Record<string, unknown> };
  readonly logger: Logger;
  readonly tasks: ReadonlyMap<string, Task<never[], unknown>>;
  /** The schedule store (a ConfigError when the broker's adapter has none). */
  scheduleStore(): ScheduleStore;
  hostname(): string;
}

export interface BeatOptions {
  /** TTL of the leader lock; a standby takes over at most this long (plus one poll) after the leader dies. Default '10s'. */
  lockTtl?: Duration;
  /** Longest wait between two looks at the store, a safety net under change notifications. Default '1s'. */
  maxInterval?: Duration;
  /** Sync `beatSchedule` into the store at start. Default true. */
  sync?: boolean;
  /** Receives schedule-fired, schedule-changed (from the sync) and leadership events. */
  onEvent?: BeatEventSink;
  /** This instance's name in logs and events. Default: the app's hostname plus a short id. */
  name?: string;
}

export class Beat {
  readonly name: string;
  readonly lockTtlMs: number;
  readonly maxIntervalMs: number;
  private readonly token = randomUUID();
  private readonly sinks = new Set<BeatEventSink>();
  private store: ScheduleStore | undefined;
  private leader = false;
  private role: 'leader' | 'standby' | undefined;
  /** The lock is ours until then (measured from before the last successful renewal). */
  private leaderUntil = 0;
  private started = false;
  private closed = false;
  private electionTimer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private wakeLoop: (() => void) | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;
  private stopEvents: (() => void) | undefined;
  /** The report of the start-up sync. */
  syncReport: ScheduleSyncReport | undefined;

  constructor(
    private readonly host: BeatHost,
    private readonly options: BeatOptions = {},
  ) {
    this.lockTtlMs = toMs(options.lockTtl ?? 10_000, 'beat.lockTtl');
    this.maxIntervalMs = toMs(options.maxInterval ?? 1_000, 'beat.maxInterval');
    if (this.lockTtlMs < 300)
      throw new ConfigError(`beat.lockTtl must be at least 300ms, got ${this.lockTtlMs}ms`);
    if (this.maxIntervalMs < 10) throw new ConfigError(`beat.maxInterval must be at least 10ms`);
    this.name = options.name ?? `${host.hostname()}/${this.token.slice(0, 8)}`;
    if (options.onEvent) this.sinks.add(options.onEvent);
  }

  /** True while this beat holds the leader lock. */
  get isLeader(): boolean {
    return this.leader && Date.now() < this.leaderUntil;
  }

  onEvent(sink: BeatEventSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  private emit(event: BeatEvent): void {
    for (const sink of this.sinks) {
      try {
        sink(event);
      } catch (err) {
        this.host.logger.warn({ err, beat: this.name }, 'beat: an event sink threw');
      }
    }
  }

  /** Syncs the code schedules, then takes part in the leader election. Resolves once running. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.closed = false;
    try {
      await this.join();
    } catch (err) {
      // A bad beatSchedule or an unreachable broker: leave the beat startable again.
      this.started = false;
      this.stopEvents?.();
      await this.unsubscribe?.();
      throw err;
    }
  }

  private async join(): Promise<void> {
    // Validate before touching the store: a typo in beatSchedule fails here, naming the field.
    const schedules = resolveBeatSchedule(this.host.config.beatSchedule);
    const store = this.host.scheduleStore();
    this.store = store;
    this.stopEvents = store.onEvent((event) => this.emit(event));
    if (this.options.sync ?? true) {
      this.syncReport = await store.sync(schedules, { actor: 'code' });
      const { created, updated, removed } = this.syncReport;
      if (created.length + updated.length + removed.length > 0) {
        this.host.logger.info({ beat: this.name, created, updated, removed }, 'beat: synced beatSchedule');
      }
    }
    // Any edit, from any process, wakes the loop: edits take effect at once, not at the next poll.
    this.unsubscribe = await store.onChange(() => this.wake());
    await this.elect();
  }

  private wake(): void {
    this.wakeLoop?.();
  }

  /** One round of the election, then the next one after TTL/3 (leader) or a short poll (standby). */
  private async elect(): Promise<void> {
    if (this.closed || !this.store) return;
    const asked = Date.now();
    let held: boolean | null;
    try {
      held = await this.store.acquireLeadership(this.token, this.lockTtlMs);
    } catch (err) {
      this.host.logger.warn({ err, beat: this.name }, 'beat: could not reach the store for the leader lock');
      held = null;
    }
    if (this.closed) {
      // close() ran while we asked: do not keep a lock nobody will renew.
      if (held === true) await this.store.releaseLeadership(this.token).catch(() => undefined);
      return;
    }
    if (held === true) {
      this.leaderUntil = asked + this.lockTtlMs;
      if (!this.leader) this.becomeLeader();
      // Still leader, but the loop may have stopped while a slow renewal let our lease lapse.
      else this.ensureLoop();
    } else if (held === false || Date.now() >= this.leaderUntil) {
      // Lost (someone else holds it), or unreachable for longer than our lease: step down.
      this.becomeStandby(held === false ? 'lock held by another beat' : 'lock not renewed in time');
    }
    const every = this.leader ? this.lockTtlMs / 3 : Math.max(50, Math.min(this.lockTtlMs / 10, 1_000));
    this.electionTimer = setTimeout(() => void this.elect(), every);
  }

  private becomeLeader(): void {
    this.leader = true;
    this.role = 'leader';
    this.host.logger.info({ beat: this.name, lockTtlMs: this.lockTtlMs }, 'beat: leader');
    this.emit({ type: 'beat-leadership', beat: this.name, role: 'leader', at: new Date().toISOString() });
    this.ensureLoop();
  }

  private ensureLoop(): void {
    this.loop ??= this.run().finally(() => {
      this.loop = undefined;
      // Leadership lost and regained while the loop was winding down: run again.
      if (this.isLeader && !this.closed) this.ensureLoop();
    });
  }

  private becomeStandby(reason: string): void {
    this.leader = false;
    this.wake();
    if (this.role === 'standby') return;
    this.role = 'standby';
    this.host.logger.info({ beat: this.name, reason }, 'beat: standby');
    this.emit({ type: 'beat-leadership', beat: this.name, role: 'standby', at: new Date().toISOString() });
  }

  /** The leader's loop: fire what is due, then sleep until the next due time, an edit, or maxInterval. */
  private async run(): Promise<void> {
    while (this.isLeader && !this.closed) {
      let nextDue: number | null = null;
      try {
        await this.fireDue();
        nextDue = await this.store!.nextDueAt();
      } catch (err) {
        this.host.logger.error({ err, beat: this.name }, 'beat: tick failed');
      }
      if (!this.isLeader || this.closed) break;
      // The 20 ms floor keeps a due entry that cannot be claimed (a half-written
      // key edited by hand, say) from spinning the loop.
      const wait =
        nextDue === null
          ? this.maxIntervalMs
          : Math.min(this.maxIntervalMs, Math.max(20, nextDue - Date.now()));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, wait);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.wakeLoop = done;
      });
      this.wakeLoop = undefined;
    }
  }

  private async fireDue(): Promise<void> {
    const store = this.store!;
    const now = Date.now();
    for (const entry of await store.due(now)) {
      if (!this.isLeader || this.closed) return;
      try {
        await this.fireEntry(store, entry, now);
      } catch (err) {
        this.host.logger.error(
          { err, beat: this.name, schedule: entry.name },
          'beat: could not fire schedule',
        );
      }
    }
  }

  private async fireEntry(store: ScheduleStore, entry: ScheduleEntry, now: number): Promise<void> {
    const requested = entry.runRequestedAt === null ? null : Date.parse(entry.runRequestedAt);
    if (requested !== null && requested <= now) {
      if (await store.claim(entry, { mode: 'manual', fired: 1, firedAt: now })) {
        await this.send(entry, requested, true, 0);
      }
    }
    if (!entry.enabled || entry.nextRunAt === null || Date.parse(entry.nextRunAt) > now) return;
    const schedule = definitionOf(entry);
    const lastDue = new Date(entry.lastDueAt ?? Date.parse(entry.nextRunAt) - 1);
    const plan = occurrencesToFire(schedule, lastDue, new Date(now));
    const claimed = await store.claim(entry, {
      mode: 'due',
      lastDueAt: plan.lastDue.getTime(),
      nextRunAt: plan.next?.getTime() ?? null,
      fired: plan.fire.length,
      firedAt: now,
      finished: plan.finished,
    });
    if (!claimed) return; // another beat took this occurrence, or the entry changed: the next look re-reads it
    if (plan.missed > 0) {
      this.host.logger.info(
        { beat: this.name, schedule: entry.name, missed: plan.missed, catchUp: entry.catchUp },
        'beat: due times passed over',
      );
    }
    for (const [i, due] of plan.fire.entries()) {
      await this.send(entry, due.getTime(), false, i === plan.fire.length - 1 ? plan.missed : 0);
    }
  }

  /** Sends the schedule's task by name: the task need not be registered in this process (send_task). */
  private async send(entry: ScheduleEntry, dueAt: number, manual: boolean, missed: number): Promise<void> {
    const task =
      this.host.tasks.get(entry.task) ??
      new Task<never[], unknown>(entry.task, () => undefined, {}, this.host);
    const firedAt = Date.now();
    const headers: Record<string, unknown> = {
      beat: { schedule: entry.name, dueAt: new Date(dueAt).toISOString(), manual },
    };
    const message = task.message(
      entry.args as never[],
      {
        // As any call's kwargs: the handler's trailing argument, and a Celery message's kwargs for Python workers.
        kwargs: entry.kwargs ?? undefined,
        queue: entry.queue ?? undefined,
        priority: entry.priority ?? undefined,
        expires: entry.expiresMs === null ? undefined : new Date(dueAt + entry.expiresMs),
        headers,
      },
      firedAt,
    );
    try {
      await this.host.publish(message);
    } catch (err) {
      // The occurrence is claimed: it will not be retried (at-most-once), so say so loudly.
      this.host.logger.error(
        { err, beat: this.name, schedule: entry.name, dueAt },
        'beat: claimed run could not be sent',
      );
      throw err;
    }
    this.emit({
      type: 'schedule-fired',
      schedule: entry.name,
      task: entry.task,
      taskId: message.id,
      dueAt: new Date(dueAt).toISOString(),
      firedAt: new Date(firedAt).toISOString(),
      manual,
      missed,
      beat: this.name,
    });
  }

  /** Stops firing and releases the lock (a standby takes over at once). The app's connections stay open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.electionTimer);
    this.wake();
    await this.loop;
    const wasLeader = this.leader;
    this.leader = false;
    if (wasLeader && this.store) {
      await this.store.releaseLeadership(this.token).catch((err: unknown) => {
        this.host.logger.warn(
          { err, beat: this.name },
          'beat: could not release the leader lock (it expires by itself)',
        );
      });
    }
    this.stopEvents?.();
    await this.unsubscribe?.();
    this.started = false;
  }
}
