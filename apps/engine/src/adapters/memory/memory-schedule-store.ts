// The schedule store of the in-process broker: the same primitives as the Redis
// store's Lua scripts, on plain maps. JavaScript runs each primitive to its end
// without yielding, which gives the atomicity Lua gives on Redis.
import {
  BaseScheduleStore,
  type ClaimPlan,
  type DeleteOutcome,
  type ScheduleFields,
  type ScheduleSource,
  type StoredSchedule,
  type WriteOutcome,
} from '../../beat/schedule-store.js';
import type { ControlBus, ControlMessage } from '../../control/control-bus.js';

/** The message announcing an edit on the control channel (the Redis store's Lua publishes the same). */
export const SCHEDULE_CHANGED = 'schedule-changed';

interface MemorySchedules {
  records: Map<string, StoredSchedule>;
  lock: { token: string; until: number } | null;
}

// One schedule table per broker object, so apps sharing a memory:// broker share it too.
const tables = new WeakMap<object, MemorySchedules>();

/** When an entry is due for beat: a pending run request, else its next run while enabled. */
function dueAt(record: StoredSchedule): number | null {
  const next = record.enabled ? record.nextRunAt : null;
  if (record.runRequestedAt === null) return next;
  return next === null ? record.runRequestedAt : Math.min(next, record.runRequestedAt);
}

export class MemoryScheduleStore extends BaseScheduleStore {
  private readonly table: MemorySchedules;

  constructor(
    broker: object,
    private readonly bus: Pick<ControlBus, 'publish' | 'subscribe'>,
  ) {
    super();
    let table = tables.get(broker);
    if (!table) {
      table = { records: new Map(), lock: null };
      tables.set(broker, table);
    }
    this.table = table;
  }

  private announce(name: string): void {
    void this.bus.publish({ type: SCHEDULE_CHANGED, name }).catch(() => undefined);
  }

  protected readRecord(name: string): Promise<StoredSchedule | null> {
    const record = this.table.records.get(name);
    return Promise.resolve(record ? { ...record } : null);
  }

  protected readAll(): Promise<StoredSchedule[]> {
    return Promise.resolve([...this.table.records.values()].map((r) => ({ ...r })));
  }

  protected dueNames(now: number, limit: number): Promise<string[]> {
    const due: { name: string; at: number }[] = [];
    for (const record of this.table.records.values()) {
      const at = dueAt(record);
      if (at !== null && at <= now) due.push({ name: record.name, at });
    }
    due.sort((a, b) => a.at - b.at || a.name.localeCompare(b.name));
    return Promise.resolve(due.slice(0, limit).map((d) => d.name));
  }

  nextDueAt(): Promise<number | null> {
    let earliest: number | null = null;
    for (const record of this.table.records.values()) {
      const at = dueAt(record);
      if (at !== null && (earliest === null || at < earliest)) earliest = at;
    }
    return Promise.resolve(earliest);
  }

  protected writeRecord(
    name: string,
    expectedVersion: number,
    expectedNextRunAt: number | null,
    fields: ScheduleFields,
  ): Promise<WriteOutcome> {
    const record = this.table.records.get(name);
    const version = record?.version ?? 0;
    if (version !== expectedVersion) return Promise.resolve({ status: 'conflict', version });
    if (record && record.nextRunAt !== expectedNextRunAt) return Promise.resolve({ status: 'moved' });
    this.table.records.set(name, {
      lastRunAt: null,
      totalRunCount: 0,
      runRequestedAt: null,
      ...record,
      ...fields,
      name,
      version: version + 1,
    });
    this.announce(name);
    return Promise.resolve({ status: 'ok', version: version + 1 });
  }

  protected deleteRecord(
    name: string,
    expectedVersion: number | null,
    requiredSource: ScheduleSource | null,
  ): Promise<DeleteOutcome> {
    const record = this.table.records.get(name);
    if (!record) return Promise.resolve({ status: 'missing' });
    if (expectedVersion !== null && record.version !== expectedVersion) {
      return Promise.resolve({ status: 'conflict', version: record.version });
    }
    if (requiredSource !== null && record.source !== requiredSource)
      return Promise.resolve({ status: 'source' });
    this.table.records.delete(name);
    this.announce(name);
    return Promise.resolve({ status: 'ok' });
  }

  protected claimRecord(name: string, version: number, expected: number, plan: ClaimPlan): Promise<boolean> {
    const record = this.table.records.get(name);
    if (!record || record.version !== version) return Promise.resolve(false);
    if (plan.mode === 'manual') {
      if (record.runRequestedAt !== expected) return Promise.resolve(false);
      record.runRequestedAt = null;
    } else {
      if (record.nextRunAt !== expected || !record.enabled) return Promise.resolve(false);
      record.lastDueAt = plan.lastDueAt ?? record.lastDueAt;
      record.nextRunAt = plan.nextRunAt ?? null;
      if (plan.finished) {
        record.enabled = false;
        record.version += 1;
        this.announce(name);
      }
    }
    if (plan.fired > 0) {
      record.lastRunAt = plan.firedAt;
      record.totalRunCount += plan.fired;
    }
    return Promise.resolve(true);
  }

  protected requestRun(name: string, at: number): Promise<boolean> {
    const record = this.table.records.get(name);
    if (!record) return Promise.resolve(false);
    record.runRequestedAt = at;
    this.announce(name);
    return Promise.resolve(true);
  }

  acquireLeadership(token: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const lock = this.table.lock;
    if (lock && lock.until > now && lock.token !== token) return Promise.resolve(false);
    this.table.lock = { token, until: now + ttlMs };
    return Promise.resolve(true);
  }

  releaseLeadership(token: string): Promise<boolean> {
    if (this.table.lock?.token !== token) return Promise.resolve(false);
    this.table.lock = null;
    return Promise.resolve(true);
  }

  onChange(listener: (name: string) => void): Promise<() => Promise<void>> {
    return this.bus.subscribe((message: ControlMessage) => {
      if (message.type === SCHEDULE_CHANGED && typeof message.name === 'string') listener(message.name);
    });
  }
}
