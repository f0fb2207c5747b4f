// The schedule store that beat and the dashboard share: the contract, the entry
// shape, the audit events, and the logic every implementation has in common.
//
// An implementation (Redis, memory) supplies a handful of atomic primitives
// (write-if-unchanged, delete-if-unchanged, claim-if-unchanged, the leader
// lock); everything that needs the schedule math (next run times, re-anchoring,
// syncing code schedules) runs here, once, so both stores behave the same.
import { ScheduleConflictError, ScheduleNotFoundError } from '../errors.js';
import { nextRunAfter, resolveSchedule, type ResolvedSchedule } from './schedule.js';

/** Where a schedule came from: `beatSchedule` in code, or the API / dashboard. */
export type ScheduleSource = 'code' | 'api';

/** A schedule as the store keeps it: the definition plus its run state. JSON-safe. */
export interface ScheduleEntry extends ResolvedSchedule {
  source: ScheduleSource;
  /** Bumped by every edit (not by runs): the token of optimistic concurrency. */
  version: number;
  /** When beat last sent this schedule's task (wall clock of the send). */
  lastRunAt: string | null;
  totalRunCount: number;
  /** The next due time, or null when the schedule is finished. */
  nextRunAt: string | null;
  /** The last due time handled (fired or skipped), or when the timetable was last anchored. */
  lastDueAt: string | null;
  /** A pending "run now" request, fired by the beat leader within a second. */
  runRequestedAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** The actor of the last edit ('code' for syncs from beatSchedule). */
  updatedBy: string | null;
}

/** Options of every edit. */
export interface ScheduleWriteOptions {
  /** Who makes the change, for the audit trail (a user name, 'dashboard', 'code'). */
  actor?: string;
  /** Refuse the edit with ScheduleConflictError unless the entry is at this version (0: must not exist). */
  expectedVersion?: number;
}

export type ScheduleChangeAction =
  'created' | 'updated' | 'removed' | 'enabled' | 'disabled' | 'run-requested';

/** An edit of the store, for the audit trail. */
export interface ScheduleChangedEvent {
  type: 'schedule-changed';
  schedule: string;
  action: ScheduleChangeAction;
  actor: string | null;
  /** Names of the fields that differ between before and after. */
  changes: string[];
  before: ScheduleEntry | null;
  after: ScheduleEntry | null;
  at: string;
}

/** One task sent by beat for one due time (or for a "run now" request). */
export interface ScheduleFiredEvent {
  type: 'schedule-fired';
  schedule: string;
  task: string;
  taskId: string;
  /** The due time this run is for. */
  dueAt: string;
  /** When beat sent it. */
  firedAt: string;
  /** True for a "run now" request rather than the timetable. */
  manual: boolean;
  /** Due times passed over at this firing (downtime under catchUp 'once'/'skip', expiry). */
  missed: number;
  /** The beat instance that sent it. */
  beat: string;
}

/** A beat instance became the leader or a standby. */
export interface BeatLeadershipEvent {
  type: 'beat-leadership';
  beat: string;
  role: 'leader' | 'standby';
  at: string;
}

export type BeatEvent = ScheduleChangedEvent | ScheduleFiredEvent | BeatLeadershipEvent;

/** Where beat and the store send their events; the engine's event stream plugs in here. */
export type BeatEventSink = (event: BeatEvent) => void;

export interface ScheduleSyncReport {
  created: string[];
  updated: string[];
  removed: string[];
  unchanged: string[];
}

/** What beat records when it claims a due schedule (see ScheduleStore.claim). */
export interface ClaimPlan {
  /** 'due': the timetable's occurrence at entry.nextRunAt; 'manual': the run requested at entry.runRequestedAt. */
  mode: 'due' | 'manual';
  /** The new lastDueAt and nextRunAt (mode 'due'). */
  lastDueAt?: number;
  nextRunAt?: number | null;
  /** How many tasks this claim sends (0 when a catch-up policy skips them). */
  fired: number;
  firedAt: number;
  /** Nothing more will run (oneOff, clocked, endAt): disable the entry. */
  finished?: boolean;
}

export interface ScheduleStore {
  list(): Promise<ScheduleEntry[]>;
  get(name: string): Promise<ScheduleEntry | null>;
  /** Creates or replaces the definition; run history (lastRunAt, totalRunCount) is kept. */
  upsert(
    name: string,
    definition: unknown,
    options?: ScheduleWriteOptions & { source?: ScheduleSource },
  ): Promise<ScheduleEntry>;
  /** True when it existed. */
  remove(name: string, options?: ScheduleWriteOptions): Promise<boolean>;
  enable(name: string, options?: ScheduleWriteOptions): Promise<ScheduleEntry>;
  disable(name: string, options?: ScheduleWriteOptions): Promise<ScheduleEntry>;
  /** Asks the beat leader to send the task once, now (within a second), outside the timetable. */
  runNow(name: string, options?: Omit<ScheduleWriteOptions, 'expectedVersion'>): Promise<ScheduleEntry>;
  /**
   * Makes the store match `beatSchedule`: adds new code schedules, updates those
   * whose code changed (keeping run history, and keeping dashboard edits of code
   * that did not change), and removes source-'code' entries no longer in code.
   */
  sync(schedules: ResolvedSchedule[], options?: { actor?: string }): Promise<ScheduleSyncReport>;

  // Beat's side.
  /** Entries with a due time (or a run request) at or before `now`, earliest first. */
  due(now: number, limit?: number): Promise<ScheduleEntry[]>;
  /** Epoch ms of the earliest due time or run request, or null. */
  nextDueAt(): Promise<number | null>;
  /**
   * Records a firing if the entry is exactly as read (same version, same
   * nextRunAt or run request). Only one claimer of an occurrence gets true,
   * so an occurrence is sent at most once however many beats race for it.
   */
  claim(entry: ScheduleEntry, plan: ClaimPlan): Promise<boolean>;
  /** Takes the leader lock, or extends it when `token` already holds it. */
  acquireLeadership(token: string, ttlMs: number): Promise<boolean>;
  /** Releases the lock if `token` still holds it. */
  releaseLeadership(token: string): Promise<boolean>;
  /** Calls `listener` with the schedule's name after any edit, from any process. */
  onChange(listener: (name: string) => void): Promise<() => Promise<void>>;
  /** Audit events of edits made through this store object. */
  onEvent(sink: BeatEventSink): () => void;
}

// ---------------------------------------------------------------------------
// The raw record and the primitives an implementation provides.

/** One entry as stored: instants as epoch ms. */
export interface StoredSchedule {
  name: string;
  /** JSON of the ResolvedSchedule (its `enabled` is the separate field). */
  definition: string;
  enabled: boolean;
  source: ScheduleSource;
  version: number;
  /** JSON of the code definition last synced, to tell code changes from dashboard edits. */
  codeDefinition: string | null;
  lastDueAt: number | null;
  nextRunAt: number | null;
  lastRunAt: number | null;
  totalRunCount: number;
  runRequestedAt: number | null;
  createdAt: number;
  updatedAt: number;
  updatedBy: string | null;
}

/** The fields an edit writes (never the run history, which only claims touch). */
export type ScheduleFields = Pick<
  StoredSchedule,
  | 'definition'
  | 'enabled'
  | 'source'
  | 'codeDefinition'
  | 'lastDueAt'
  | 'nextRunAt'
  | 'createdAt'
  | 'updatedAt'
  | 'updatedBy'
>;

export type WriteOutcome =
  | { status: 'ok'; version: number }
  | { status: 'conflict'; version: number }
  /** A claim moved nextRunAt between the read and the write: re-read and recompute. */
  | { status: 'moved' };

export type DeleteOutcome = { status: 'ok' | 'missing' | 'source' } | { status: 'conflict'; version: number };

/** Fields compared to decide whether an edit changes the timetable. */
const TIMETABLE = ['schedule', 'startAt', 'endAt', 'timezone', 'oneOff'] as const;
const MAX_ATTEMPTS = 20;

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function ms(value: string | null): number | null {
  return value === null ? null : Date.parse(value);
}

export function toEntry(record: StoredSchedule): ScheduleEntry {
  const definition = JSON.parse(record.definition) as ResolvedSchedule;
  return {
    ...definition,
    name: record.name,
    enabled: record.enabled,
    source: record.source,
    version: record.version,
    lastRunAt: iso(record.lastRunAt),
    totalRunCount: record.totalRunCount,
    nextRunAt: iso(record.nextRunAt),
    lastDueAt: iso(record.lastDueAt),
    runRequestedAt: iso(record.runRequestedAt),
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    updatedBy: record.updatedBy,
  };
}

/** The definition part of an entry (what resolveSchedule returns). */
export function definitionOf(entry: ResolvedSchedule): ResolvedSchedule {
  return {
    name: entry.name,
    task: entry.task,
    schedule: entry.schedule,
    args: entry.args,
    kwargs: entry.kwargs,
    queue: entry.queue,
    priority: entry.priority,
    expiresMs: entry.expiresMs,
    enabled: entry.enabled,
    oneOff: entry.oneOff,
    startAt: entry.startAt,
    endAt: entry.endAt,
    description: entry.description,
    timezone: entry.timezone,
    catchUp: entry.catchUp,
  };
}

function storedDefinition(schedule: ResolvedSchedule): string {
  const { enabled: _enabled, ...rest } = definitionOf(schedule);
  return JSON.stringify(rest);
}

function changedFields(before: ScheduleEntry | null, after: ScheduleEntry | null): string[] {
  if (!before || !after) return [];
  const skip = new Set(['version', 'updatedAt', 'updatedBy', 'lastDueAt']);
  return Object.keys(after).filter(
    (key) =>
      !skip.has(key) &&
      JSON.stringify(before[key as keyof ScheduleEntry]) !==
        JSON.stringify(after[key as keyof ScheduleEntry]),
  );
}

/**
 * Where the timetable stands after an edit: keep the next run when it is still
 * ahead, otherwise re-anchor at `now`. An edit (or re-enabling) therefore never
 * sends a run for a due time that passed before it; the next one comes on time.
 */
function anchor(
  schedule: ResolvedSchedule,
  lastDueAt: number,
  now: number,
): { lastDueAt: number; nextRunAt: number | null } {
  const next = nextRunAfter(schedule, new Date(lastDueAt));
  if (next === null || next.getTime() > now) return { lastDueAt, nextRunAt: next?.getTime() ?? null };
  return { lastDueAt: now, nextRunAt: nextRunAfter(schedule, new Date(now))?.getTime() ?? null };
}

function sameTimetable(a: ResolvedSchedule, b: ResolvedSchedule): boolean {
  return TIMETABLE.every((key) => JSON.stringify(a[key]) === JSON.stringify(b[key]));
}

export abstract class BaseScheduleStore implements ScheduleStore {
  private readonly sinks = new Set<BeatEventSink>();

  protected abstract readRecord(name: string): Promise<StoredSchedule | null>;
  protected abstract readAll(): Promise<StoredSchedule[]>;
  protected abstract dueNames(now: number, limit: number): Promise<string[]>;
  abstract nextDueAt(): Promise<number | null>;
  /**
   * Writes `fields` if the entry's version is `expectedVersion` (0: absent) and,
   * for an existing entry, its nextRunAt is still `expectedNextRunAt`. Bumps the
   * version, keeps the due index right, and announces the change.
   */
  protected abstract writeRecord(
    name: string,
    expectedVersion: number,
    expectedNextRunAt: number | null,
    fields: ScheduleFields,
  ): Promise<WriteOutcome>;
  /** Deletes if at `expectedVersion` (null: any) and of `requiredSource` (null: any). */
  protected abstract deleteRecord(
    name: string,
    expectedVersion: number | null,
    requiredSource: ScheduleSource | null,
  ): Promise<DeleteOutcome>;
  protected abstract claimRecord(
    name: string,
    version: number,
    expected: number,
    plan: ClaimPlan,
  ): Promise<boolean>;
  protected abstract requestRun(name: string, at: number): Promise<boolean>;
  abstract acquireLeadership(token: string, ttlMs: number): Promise<boolean>;
  abstract releaseLeadership(token: string): Promise<boolean>;
  abstract onChange(listener: (name: string) => void): Promise<() => Promise<void>>;

  onEvent(sink: BeatEventSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  protected emit(
    schedule: string,
    action: ScheduleChangeAction,
    actor: string | undefined,
    before: ScheduleEntry | null,
    after: ScheduleEntry | null,
  ): void {
    const event: ScheduleChangedEvent = {
      type: 'schedule-changed',
      schedule,
      action,
      actor: actor ?? null,
      changes: changedFields(before, after),
      before,
      after,
      at: new Date().toISOString(),
    };
    for (const sink of this.sinks) {
      try {
        sink(event);
      } catch {
        // A failing sink must not undo or fail an edit that is already stored.
      }
    }
  }

  async list(): Promise<ScheduleEntry[]> {
    const records = await this.readAll();
    return records.map(toEntry).sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string): Promise<ScheduleEntry | null> {
    const record = await this.readRecord(name);
    return record ? toEntry(record) : null;
  }

  private async mustGet(name: string): Promise<StoredSchedule> {
    const record = await this.readRecord(name);
    if (!record) throw new ScheduleNotFoundError(name);
    return record;
  }

  /**
   * The read-compute-write loop of every edit. `build` returns the fields to
   * write (or null: nothing to change). A stale `expectedVersion` from the
   * caller is a ScheduleConflictError; a race with another writer or a claim
   * (which the caller did not see) is retried with a fresh read.
   */
  private async edit(
    name: string,
    options: ScheduleWriteOptions,
    build: (record: StoredSchedule | null, now: number) => ScheduleFields | null,
  ): Promise<{ before: StoredSchedule | null; after: StoredSchedule | null }> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const record = await this.readRecord(name);
      const current = record?.version ?? 0;
      if (options.expectedVersion !== undefined && options.expectedVersion !== current) {
        throw new ScheduleConflictError(name, options.expectedVersion, current);
      }
      const fields = build(record, Date.now());
      if (!fields) return { before: record, after: record };
      const outcome = await this.writeRecord(name, current, record?.nextRunAt ?? null, fields);
      if (outcome.status === 'ok') {
        return { before: record, after: await this.readRecord(name) };
      }
      if (outcome.status === 'conflict' && options.expectedVersion !== undefined) {
        throw new ScheduleConflictError(name, options.expectedVersion, outcome.version);
      }
    }
    throw new ScheduleConflictError(
      name,
      options.expectedVersion ?? -1,
      (await this.readRecord(name))?.version ?? 0,
    );
  }

  private fieldsFor(
    record: StoredSchedule | null,
    schedule: ResolvedSchedule,
    now: number,
    actor: string | undefined,
    source: ScheduleSource,
    codeDefinition: string | null,
  ): ScheduleFields {
    let timing: { lastDueAt: number; nextRunAt: number | null };
    if (!record) {
      // A new schedule's timetable starts now: its first run is the first due time after now.
      timing = anchor(schedule, now, now);
    } else {
      const old = { ...(JSON.parse(record.definition) as ResolvedSchedule), enabled: record.enabled };
      const lastDueAt = record.lastDueAt ?? now;
      const unchanged = sameTimetable(old, schedule) && old.enabled === schedule.enabled;
      // An unchanged timetable keeps its run state, even a due time in the
      // past: beat then catches up on it under the schedule's policy.
      timing = unchanged ? { lastDueAt, nextRunAt: record.nextRunAt } : anchor(schedule, lastDueAt, now);
    }
    return {
      definition: storedDefinition(schedule),
      enabled: schedule.enabled,
      source,
      codeDefinition,
      lastDueAt: timing.lastDueAt,
      nextRunAt: timing.nextRunAt,
      createdAt: record?.createdAt ?? now,
      updatedAt: now,
      updatedBy: actor ?? null,
    };
  }

  async upsert(
    name: string,
    definition: unknown,
    options: ScheduleWriteOptions & { source?: ScheduleSource } = {},
  ): Promise<ScheduleEntry> {
    const input =
      typeof definition === 'object' && definition !== null
        ? pickDefinitionKeys(definition as Record<string, unknown>)
        : definition;
    const schedule = resolveSchedule(name, input);
    const { before, after } = await this.edit(name, options, (record, now) =>
      this.fieldsFor(
        record,
        schedule,
        now,
        options.actor,
        options.source ?? record?.source ?? 'api',
        record?.codeDefinition ?? null,
      ),
    );
    const entry = toEntry(after!);
    this.emit(name, before ? 'updated' : 'created', options.actor, before && toEntry(before), entry);
    return entry;
  }

  async remove(name: string, options: ScheduleWriteOptions = {}): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const record = await this.readRecord(name);
      const current = record?.version ?? 0;
      if (options.expectedVersion !== undefined && options.expectedVersion !== current) {
        throw new ScheduleConflictError(name, options.expectedVersion, current);
      }
      if (!record) return false;
      const outcome = await this.deleteRecord(name, current, null);
      if (outcome.status === 'ok') {
        this.emit(name, 'removed', options.actor, toEntry(record), null);
        return true;
      }
      if (outcome.status === 'missing') return false;
      if (outcome.status === 'conflict' && options.expectedVersion !== undefined) {
        throw new ScheduleConflictError(name, options.expectedVersion, outcome.version);
      }
    }
    throw new ScheduleConflictError(
      name,
      options.expectedVersion ?? -1,
      (await this.readRecord(name))?.version ?? 0,
    );
  }

  private async setEnabled(
    name: string,
    enabled: boolean,
    options: ScheduleWriteOptions,
  ): Promise<ScheduleEntry> {
    await this.mustGet(name);
    const { before, after } = await this.edit(name, options, (record, now) => {
      if (!record) throw new ScheduleNotFoundError(name);
      if (record.enabled === enabled) return null;
      const schedule = { ...(JSON.parse(record.definition) as ResolvedSchedule), enabled };
      return this.fieldsFor(record, schedule, now, options.actor, record.source, record.codeDefinition);
    });
    const entry = toEntry(after!);
    if (before && before.version !== after!.version) {
      this.emit(name, enabled ? 'enabled' : 'disabled', options.actor, toEntry(before), entry);
    }
    return entry;
  }

  enable(name: string, options: ScheduleWriteOptions = {}): Promise<ScheduleEntry> {
    return this.setEnabled(name, true, options);
  }

  disable(name: string, options: ScheduleWriteOptions = {}): Promise<ScheduleEntry> {
    return this.setEnabled(name, false, options);
  }

  async runNow(
    name: string,
    options: Omit<ScheduleWriteOptions, 'expectedVersion'> = {},
  ): Promise<ScheduleEntry> {
    const before = await this.mustGet(name);
    if (!(await this.requestRun(name, Date.now()))) throw new ScheduleNotFoundError(name);
    const after = toEntry(await this.mustGet(name));
    this.emit(name, 'run-requested', options.actor, toEntry(before), after);
    return after;
  }

  async sync(schedules: ResolvedSchedule[], options: { actor?: string } = {}): Promise<ScheduleSyncReport> {
    const actor = options.actor ?? 'code';
    const report: ScheduleSyncReport = { created: [], updated: [], removed: [], unchanged: [] };
    const names = new Set<string>();
    for (const schedule of schedules) {
      names.add(schedule.name);
      const code = JSON.stringify(definitionOf(schedule));
      const { before, after } = await this.edit(schedule.name, {}, (record, now) => {
        // Code that did not change since the last sync leaves the entry alone,
        // so an operator's edit in the dashboard (disable, new args) survives restarts.
        if (record && record.source === 'code' && record.codeDefinition === code) return null;
        return this.fieldsFor(record, schedule, now, actor, 'code', code);
      });
      if (!before) report.created.push(schedule.name);
      else if (before.version === after?.version) report.unchanged.push(schedule.name);
      else report.updated.push(schedule.name);
      if (before?.version !== after?.version) {
        this.emit(
          schedule.name,
          before ? 'updated' : 'created',
          actor,
          before && toEntry(before),
          after && toEntry(after),
        );
      }
    }
    for (const record of await this.readAll()) {
      if (record.source !== 'code' || names.has(record.name)) continue;
      // Only code entries go: a schedule made in the dashboard is not code's to delete.
      const outcome = await this.deleteRecord(record.name, null, 'code');
      if (outcome.status === 'ok') {
        report.removed.push(record.name);
        this.emit(record.name, 'removed', actor, toEntry(record), null);
      }
    }
    return report;
  }

  async due(now: number, limit = 100): Promise<ScheduleEntry[]> {
    const names = await this.dueNames(now, limit);
    const records = await Promise.all(names.map((name) => this.readRecord(name)));
    return records.filter((r): r is StoredSchedule => r !== null).map(toEntry);
  }

  claim(entry: ScheduleEntry, plan: ClaimPlan): Promise<boolean> {
    const expected = plan.mode === 'manual' ? ms(entry.runRequestedAt) : ms(entry.nextRunAt);
    if (expected === null) return Promise.resolve(false);
    return this.claimRecord(entry.name, entry.version, expected, plan);
  }
}

/** Accepts a ScheduleEntry (as the dashboard sends it back) by dropping the store's own fields. */
function pickDefinitionKeys(input: Record<string, unknown>): Record<string, unknown> {
  const storeFields = new Set([
    'source',
    'version',
    'lastRunAt',
    'totalRunCount',
    'nextRunAt',
    'lastDueAt',
    'runRequestedAt',
    'createdAt',
    'updatedAt',
    'updatedBy',
  ]);
  return Object.fromEntries(Object.entries(input).filter(([key]) => !storeFields.has(key)));
}
