// `app.schedules`: the schedule store as the app (and the gateway, through the
// app) sees it. A thin facade: it finds the app's schedule store and forwards
// the audit events of the edits made through it.
import { nextRuns } from './schedule.js';
import {
  definitionOf,
  type BeatEventSink,
  type ScheduleEntry,
  type ScheduleSource,
  type ScheduleStore,
  type ScheduleWriteOptions,
} from './schedule-store.js';

export class Schedules {
  private readonly sinks = new Set<BeatEventSink>();
  private current: ScheduleStore | undefined;

  constructor(private readonly host: { scheduleStore(): ScheduleStore }) {}

  /** The app's schedule store (a new one after the app reconnects). */
  store(): Promise<ScheduleStore> {
    try {
      const store = this.host.scheduleStore();
      if (this.current !== store) {
        store.onEvent((event) => {
          for (const sink of this.sinks) sink(event);
        });
        this.current = store;
      }
      return Promise.resolve(store);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Audit events (schedule-changed) of edits made through `app.schedules`. */
  onEvent(sink: BeatEventSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  async list(): Promise<ScheduleEntry[]> {
    return (await this.store()).list();
  }

  async get(name: string): Promise<ScheduleEntry | null> {
    return (await this.store()).get(name);
  }

  /** Creates or replaces a schedule (source 'api' unless it came from code). Run history is kept. */
  async upsert(
    name: string,
    definition: unknown,
    options?: ScheduleWriteOptions & { source?: ScheduleSource },
  ): Promise<ScheduleEntry> {
    return (await this.store()).upsert(name, definition, options);
  }

  async remove(name: string, options?: ScheduleWriteOptions): Promise<boolean> {
    return (await this.store()).remove(name, options);
  }

  async enable(name: string, options?: ScheduleWriteOptions): Promise<ScheduleEntry> {
    return (await this.store()).enable(name, options);
  }

  async disable(name: string, options?: ScheduleWriteOptions): Promise<ScheduleEntry> {
    return (await this.store()).disable(name, options);
  }

  /** Asks the beat leader to send the task now, once (within a second while beat runs). */
  async runNow(name: string, options?: { actor?: string }): Promise<ScheduleEntry> {
    return (await this.store()).runNow(name, options);
  }

  /** The next `count` run times of a stored schedule, for previews. */
  async nextRuns(name: string, count = 5, from = new Date()): Promise<Date[]> {
    const entry = await this.get(name);
    if (!entry || !entry.enabled) return [];
    const start =
      entry.nextRunAt && Date.parse(entry.nextRunAt) > from.getTime()
        ? new Date(Date.parse(entry.nextRunAt) - 1)
        : from;
    return nextRuns(definitionOf(entry), start, count);
  }
}
