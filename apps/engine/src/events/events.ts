// The event stream: every task transition and worker heartbeat becomes one
// event appended to the bounded event log (a port: see event-log.ts). Producers buffer events
// for a few milliseconds and append a whole batch in one round trip, so the hot
// path never waits on an event. Readers use a consumer group with explicit
// acknowledgement (a monitor that restarts resumes where it stopped) or tail.
import { hostname as osHostname } from 'node:os';
import type { BeatEvent, BeatEventSink } from '../beat/schedule-store.js';
import type { Logger } from '../app/logger.js';
import type { TaskMessage } from '../task/message.js';
import type { TaskLogLevel } from '../task/task-report.js';
import type { EventLog, StreamEntry } from './event-log.js';

/** Fields every event carries. (hostname, pid, seq) identifies an event: use it to de-duplicate. */
export interface EventHeader {
  type: string;
  /** Epoch ms when the event was produced. */
  timestamp: number;
  /** The producer: a worker's hostname, or the app's for task-sent and beat events. */
  hostname: string;
  pid: number;
  /** Per-producer sequence, 1, 2, 3… in the order the producer emitted. */
  seq: number;
}

export interface TaskEventFields {
  /** Task id. */
  id: string;
  /** Task name. */
  name: string;
  queue: string;
  retries: number;
  eta?: number | undefined;
  expires?: number | undefined;
  /**
   * Workflow links, from the message's headers of the same names. `rootId`: the workflow
   * every task of one applied canvas (and every task sent from inside one of them) shares.
   * `parentId`: the task whose result this one receives (a chain's previous step), or inside
   * whose handler it was sent. `groupId` / `groupIndex`: the group it is a member of, and
   * where. `chordGroupId`: set on a chord's callback, the group whose results it receives.
   */
  parentId?: string | undefined;
  rootId?: string | undefined;
  groupId?: string | undefined;
  groupIndex?: number | undefined;
  chordGroupId?: string | undefined;
}

export interface EventError {
  name: string;
  message: string;
  stack?: string | undefined;
}

/**
 * `traceId`: the W3C trace id in the message's `traceparent` header, when it carries one (see tracing/tracing.ts).
 * task-received's `priority` is the message's, as task-sent's is (an older worker's events leave it out).
 */
export type TaskSentEvent = EventHeader & TaskEventFields & { type: 'task-sent'; args: string; priority: number; traceId?: string | undefined };
export type TaskReceivedEvent = EventHeader &
  TaskEventFields & { type: 'task-received'; args: string; priority?: number | undefined; deliveries: number; traceId?: string | undefined };
export type TaskStartedEvent = EventHeader & TaskEventFields & { type: 'task-started' };
export type TaskSucceededEvent = EventHeader & TaskEventFields & { type: 'task-succeeded'; runtime: number; result: string };
export type TaskFailedEvent = EventHeader & TaskEventFields & { type: 'task-failed'; runtime: number; error: EventError };
export type TaskRetriedEvent = EventHeader &
  TaskEventFields & { type: 'task-retried'; attempt: number; error: EventError; nextEta: number };
export type TaskRevokedEvent = EventHeader & TaskEventFields & { type: 'task-revoked'; terminated: boolean; expired: boolean };
export type TaskRejectedEvent = EventHeader &
  Partial<TaskEventFields> & { type: 'task-rejected'; id: string; queue: string; deadLettered: boolean; reason: string };

/** `currentTask().progress()`: the latest fraction (0..1) and its metadata (JSON). Throttled by the worker. */
export type TaskProgressEvent = EventHeader & TaskEventFields & { type: 'task-progress'; progress: number; meta?: unknown };
/** `currentTask().log()` and `currentTask().logger`: one line of the task's log. */
export type TaskLogEvent = EventHeader &
  TaskEventFields & { type: 'task-log'; level: TaskLogLevel; message: string; fields?: Record<string, unknown> | undefined };

/** What a worker reports about itself in worker-online, worker-heartbeat and worker-offline. */
export interface WorkerHeartbeat {
  hostname: string;
  pid: number;
  software: { name: 'lovage'; version: string };
  queues: string[];
  pool: { kind: 'async' | 'threads'; size: number };
  active: number;
  reserved: number;
  processed: number;
  succeeded: number;
  failed: number;
  retried: number;
  /** os.loadavg(). */
  loadavg: number[];
  /** process.memoryUsage().rss, bytes. */
  rss: number;
  /** Seconds since the worker started. */
  uptime: number;
  /** The interval the worker promises between heartbeats, ms. */
  heartbeatInterval: number;
}

export type WorkerEvent = EventHeader &
  Omit<WorkerHeartbeat, 'hostname' | 'pid'> & { type: 'worker-online' | 'worker-heartbeat' | 'worker-offline' };

/** Beat's events (schedule-fired, schedule-changed, beat-leadership), carried as they are. */
export type ScheduleEvent = EventHeader & BeatEvent;

export type LovageEvent =
  | TaskSentEvent
  | TaskReceivedEvent
  | TaskStartedEvent
  | TaskSucceededEvent
  | TaskFailedEvent
  | TaskRetriedEvent
  | TaskRevokedEvent
  | TaskRejectedEvent
  | TaskProgressEvent
  | TaskLogEvent
  | WorkerEvent
  | ScheduleEvent;

export type LovageEventType = LovageEvent['type'];

/** Fields of an event without its header (the producer adds it). */
type Body<E> = E extends EventHeader ? Omit<E, keyof EventHeader> : never;
export type EventInput = Body<LovageEvent> & { type: LovageEventType };

export interface EventsOptions {
  enabled: boolean;
  /** Approximate bound of the stream in entries (MAXLEN ~); an entry is one producer flush, or a part of a large one. */
  maxLen: number;
  /**
   * Approximate bound of the stream in bytes. Entries differ in size (a worker's
   * flush holds dozens of events, a producer's a few), so each process trims to
   * as many entries as fit at the average size of its own: the writer of the
   * largest entries keeps the stream shortest, and the whole within about this.
   */
  maxBytes: number;
  /** How long events wait in the buffer before being appended. */
  flushMs: number;
}

/** One batch read through a consumer group: acknowledge it once handled. */
export interface EventBatch {
  events: LovageEvent[];
  /** Stream ids of the entries read (an entry holds one producer flush, or part of it: one or more events). */
  ids: string[];
  /** true for entries re-delivered from this consumer's pending list (read before, never acknowledged). */
  redelivered: boolean;
  ack(): Promise<void>;
}

export interface SubscribeOptions {
  group: string;
  /** This reader's name within the group; a restarted reader with the same name gets its pending entries first. */
  consumer: string;
  /** Where a new group starts: '$' (new events only, the default) or '0' (everything the stream still holds). */
  fromId?: string | undefined;
  /** Largest batch. Default 500. */
  count?: number | undefined;
  /** Longest wait for new events before checking `signal` again. Default 1000 ms. */
  blockMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface TailOptions {
  /** Stream id to start after: '$' (only new events, the default) or '0' (everything kept). */
  fromId?: string | undefined;
  count?: number | undefined;
  blockMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

const PREVIEW = 256;
/** What a stream entry costs beyond its text (its id and field name in Redis's listpack), roughly. */
const ENTRY_OVERHEAD_BYTES = 32;
/** The byte bound never trims the stream below this many entries (eventsMaxLen's own minimum). */
const MIN_ENTRIES = 100;

/**
 * Largest entry text, in characters: a busy worker's flush (some 670 characters a task) is
 * split into entries of this size. V8 puts a string of over 128 KiB (64 Ki two-byte
 * characters) in its large-object space, where each one is mapped afresh: building, joining
 * and writing such strings cost a worker about 10 µs a task, a quarter of its time.
 */
const ENTRY_CHARS = 32_000;

/** A flush's events (JSON already) as entries: JSON arrays of up to ENTRY_CHARS characters each (a larger event is an entry alone). */
function entriesOf(events: string[]): string[] {
  const entries: string[] = [];
  let from = 0;
  let chars = 0;
  for (let i = 0; i < events.length; i++) {
    const size = events[i]!.length + 1;
    if (chars + size > ENTRY_CHARS && i > from) {
      entries.push(arrayOf(events.slice(from, i)));
      from = i;
      chars = 0;
    }
    chars += size;
  }
  entries.push(arrayOf(from === 0 ? events : events.slice(from)));
  return entries;
}

/** JSON texts as one JSON array. The brackets go onto the first and last texts (in place), so the join alone makes one flat string (no copy of it to flatten). */
function arrayOf(texts: string[]): string {
  texts[0] = `[${texts[0]}`;
  texts[texts.length - 1] = `${texts[texts.length - 1]}]`;
  return texts.join(',');
}

/** JSON of null, a boolean or a finite number without a stringify (the common small results); else undefined. */
function scalarJson(value: unknown): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** A short, single-line JSON preview of a value (args, result) for monitors. */
export function preview(value: unknown): string {
  const scalar = scalarJson(value);
  if (scalar !== undefined) return scalar;
  let text: string;
  try {
    text = JSON.stringify(value) ?? 'undefined';
  } catch {
    text = String(value);
  }
  return text.length > PREVIEW ? `${text.slice(0, PREVIEW - 1)}…` : text;
}

/**
 * One stream entry holds one flush of one producer (or a part of a large one,
 * see ENTRY_CHARS): a JSON array of events (a single event object is accepted
 * too). Batching entries is what keeps the stream cheap: one XADD per flush
 * instead of one per event.
 */
function decode(entry: StreamEntry): LovageEvent[] {
  if (entry.event === '') return [];
  try {
    const parsed = JSON.parse(entry.event) as LovageEvent | LovageEvent[];
    return Array.isArray(parsed) ? parsed : [parsed];
  } catch {
    return [];
  }
}

/** One producer: its own hostname and sequence. */
export class EventProducer {
  private seq = 0;
  private readonly hostnameJson: string;
  constructor(
    private readonly events: Events,
    readonly hostname: string,
  ) {
    this.hostnameJson = JSON.stringify(hostname);
  }

  get enabled(): boolean {
    return this.events.options.enabled;
  }

  emit(event: EventInput): void {
    if (!this.events.options.enabled) return;
    // The caller's object is fresh for each event: stamping it in place saves a copy on the hot path.
    const stamped = event as EventInput & EventHeader;
    stamped.timestamp = Date.now();
    stamped.hostname = this.hostname;
    stamped.pid = process.pid;
    stamped.seq = ++this.seq;
    this.events.push(JSON.stringify(stamped));
  }

  /**
   * The hot path's emit: `members` are the event's fields already encoded as
   * JSON object members (`"id":"…","name":"…",…`, see encodeMembers), so a
   * task's fields are serialized once for all its events. The entry is the
   * same JSON emit() would write for the object `{ type, ...fields }`.
   */
  emitEncoded(type: LovageEventType, members: string): void {
    if (!this.events.options.enabled) return;
    const seq = ++this.seq;
    this.events.push(`{"type":"${type}"${members === '' ? '' : ','}${members},"timestamp":${Date.now()},"hostname":${this.hostnameJson},"pid":${process.pid},"seq":${seq}}`);
  }
}

/** The fields every task event carries, from the task's message. */
export function taskEventFields(msg: TaskMessage): TaskEventFields {
  return {
    id: msg.id,
    name: msg.task,
    queue: msg.queue,
    retries: msg.retries,
    eta: msg.eta,
    expires: msg.expires,
    parentId: typeof msg.headers.parentId === 'string' ? msg.headers.parentId : undefined,
    rootId: typeof msg.headers.rootId === 'string' ? msg.headers.rootId : undefined,
    groupId: typeof msg.headers.groupId === 'string' ? msg.headers.groupId : undefined,
    groupIndex: typeof msg.headers.groupIndex === 'number' ? msg.headers.groupIndex : undefined,
    chordGroupId: typeof msg.headers.chordGroupId === 'string' ? msg.headers.chordGroupId : undefined,
  };
}

/** An object's JSON members without the braces (`"a":1,"b":"x"`), for EventProducer.emitEncoded. */
export function encodeMembers(fields: object): string {
  return JSON.stringify(fields).slice(1, -1);
}

/** `app.events`: emit, subscribe, tail, and the sink beat plugs into. */
export class Events {
  private buffer: string[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private inflight = new Set<Promise<void>>();
  private defaultProducer: EventProducer | undefined;
  /** Bytes per entry this process appends, on average (see boundFor). */
  private averageEntryBytes = 0;

  constructor(
    readonly options: EventsOptions,
    private readonly deps: { log: () => EventLog; logger: Logger; hostname: () => string },
  ) {}

  /** A producer with its own hostname and sequence (each worker has one). */
  producer(hostname: string): EventProducer {
    return new EventProducer(this, hostname);
  }

  /** The app's own producer (task-sent, beat events). */
  get app(): EventProducer {
    this.defaultProducer ??= this.producer(this.deps.hostname());
    return this.defaultProducer;
  }

  /** Emits an event from the app's producer (buffered; appended within `flushMs`). The object is stamped with the header in place. */
  emit(event: EventInput): void {
    this.app.emit(event);
  }

  /** A BeatEventSink that puts beat's events on the stream: `app.beat({ onEvent: app.events.beatSink() })`. */
  beatSink(): BeatEventSink {
    // A copy: beat hands the same object to every sink, and emit stamps its argument.
    return (event: BeatEvent) => this.emit({ ...event });
  }

  /** @internal buffered append */
  push(encoded: string): void {
    this.buffer.push(encoded);
    if (this.buffer.length >= 1_000) void this.flush();
    // 0 (the default): flush at the end of this event-loop turn, before any
    // state change queued after the event (acks are batched the same way), so
    // an event reaches Redis no later than the transition it describes.
    else this.timer ??= this.options.flushMs === 0 ? setImmediate(() => void this.flush()) : setTimeout(() => void this.flush(), this.options.flushMs);
  }

  /**
   * The stream's bound in entries: `maxLen`, or fewer when that many entries of
   * this process's average size would pass `maxBytes`. The average moves slowly
   * (each entry weighs 1/16), so one large flush does not cut the stream short.
   */
  private boundFor(entry: string): number {
    const bytes = entry.length + ENTRY_OVERHEAD_BYTES;
    this.averageEntryBytes = this.averageEntryBytes === 0 ? bytes : this.averageEntryBytes + (bytes - this.averageEntryBytes) / 16;
    return Math.max(MIN_ENTRIES, Math.min(this.options.maxLen, Math.floor(this.options.maxBytes / this.averageEntryBytes)));
  }

  /** Appends everything buffered now, in one round trip. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
    }
    this.timer = undefined;
    if (this.buffer.length > 0) {
      const batch = this.buffer;
      this.buffer = [];
      const entries = entriesOf(batch);
      // Each entry moves the running average; the bound after the last one applies to the whole append.
      let maxLen = 0;
      for (const entry of entries) maxLen = this.boundFor(entry);
      const p = Promise.resolve()
        .then(() => this.deps.log().append(entries, maxLen, this.options.maxBytes))
        .catch((err: unknown) => this.deps.logger.error({ err, lost: batch.length }, 'appending events failed'))
        .finally(() => this.inflight.delete(p));
      this.inflight.add(p);
    }
    await Promise.all([...this.inflight]);
  }

  /**
   * Reads through a consumer group, in batches. Entries this consumer read
   * before and never acknowledged come first (`redelivered: true`), then new
   * ones. Call `batch.ack()` once a batch is handled.
   */
  async *subscribe(options: SubscribeOptions): AsyncGenerator<EventBatch, void, undefined> {
    const log = this.deps.log();
    const { group, consumer, fromId, signal } = options;
    const count = options.count ?? 500;
    const blockMs = options.blockMs ?? 1_000;
    const batchOf = (entries: StreamEntry[], redelivered: boolean): EventBatch => {
      const ids = entries.map((e) => e.id);
      const events = entries.flatMap(decode);
      return { events, ids, redelivered, ack: () => log.ack(group, ids) };
    };
    let after = '0';
    while (!signal?.aborted) {
      const entries = await log.read({ group, consumer, fromId, count, blockMs, pendingAfter: after });
      if (entries.length === 0) break;
      after = entries.at(-1)!.id;
      yield batchOf(entries, true);
    }
    while (!signal?.aborted) {
      let entries: StreamEntry[];
      try {
        entries = await log.read({ group, consumer, fromId, count, blockMs });
      } catch (err) {
        if (signal?.aborted) break;
        throw err;
      }
      if (entries.length > 0) yield batchOf(entries, false);
    }
  }

  /** Follows the stream without a group (nothing to acknowledge): for `lovage events`. */
  async *tail(options: TailOptions = {}): AsyncGenerator<LovageEvent[], void, undefined> {
    const log = this.deps.log();
    let after = options.fromId ?? '$';
    if (after === '$') after = await log.lastId();
    while (!options.signal?.aborted) {
      let entries: StreamEntry[];
      try {
        entries = await log.tail(after, options.count ?? 500, options.blockMs ?? 1_000);
      } catch (err) {
        if (options.signal?.aborted) break;
        throw err;
      }
      if (entries.length === 0) continue;
      after = entries.at(-1)!.id;
      yield entries.flatMap(decode);
    }
  }

  /** The id of the newest entry of the log ('0-0' when empty): where a reader that wants only new events starts. */
  lastId(): Promise<string> {
    return this.deps.log().lastId();
  }

  /** Flushes and stops the timer. */
  async close(): Promise<void> {
    await this.flush();
  }
}

export const defaultEventHostname = (): string => `${osHostname()}:${process.pid}`;
