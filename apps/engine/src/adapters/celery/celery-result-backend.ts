// The result backend port on Celery's Redis result backend
// (celery/backends/redis.py, 5.2.6), so Python's AsyncResult reads what a
// Lovage worker stores and a Lovage producer reads what a Python worker stores.
//
// Writing: `celery-task-meta-<id>` is SETEX'd and PUBLISHed on the same name in
// one MULTI, for every state as Celery does (a Python waiter wakes only on the
// PUBLISH). A failure is {exc_type, exc_message: [message], exc_module} with
// the JavaScript stack as `traceback`, so Python raises an exception of that
// type name carrying the message; a revocation is celery.exceptions'
// TaskRevokedError. Reading: subscribe to the channel, then GET, as Python's
// AsyncResult does, so a result stored between the two is not missed.
//
// Celery's meta has no attempt history and no retry count (without
// result_extended): records read back have `attempts: []` and `retries: 0`.
import type { Redis } from 'ioredis';
import type { ResultBackend } from '../../result/backend.js';
import { READY_STATES, type ResultRecord } from '../../result/record.js';
import { fromJsonValue, toJsonValue } from '../../task/serialization.js';
import { runScript } from '../redis/scripts.js';
import { parseJson, stringifyKombuJson, type KombuDialect } from './kombu-json.js';
import type { KombuLayout } from './kombu-layout.js';
import { decodeResultMeta, encodeResultMeta, type CeleryResultMeta, type ResultMetaSpec } from './result-meta.js';

/** A value read from Celery in the engine's JSON form (dates tagged); what it cannot tag stays as read. */
function toEngineJson(value: unknown, path: string): unknown {
  try {
    return toJsonValue(value, path);
  } catch {
    return value;
  }
}

/** The meta Celery stores for a Lovage record. */
export function metaOfRecord(record: ResultRecord): ResultMetaSpec {
  const spec: ResultMetaSpec = { taskId: record.id, status: record.state };
  if (record.dateDone !== undefined) spec.dateDone = new Date(record.dateDone);
  switch (record.state) {
    case 'SUCCESS':
      spec.result = record.result === undefined ? null : fromJsonValue(record.result);
      break;
    case 'FAILURE':
    case 'RETRY': {
      const error = record.error ?? { name: 'Error', message: 'unknown failure' };
      spec.error = { name: error.name, message: error.message };
      spec.traceback = error.stack;
      break;
    }
    case 'REVOKED':
      spec.error = { name: 'TaskRevokedError', message: record.reason ?? 'revoked', module: 'celery.exceptions' };
      break;
    case 'STARTED':
      // What a Python worker stores with task_track_started.
      spec.result = { pid: process.pid, hostname: record.worker ?? null };
      break;
    default:
      // A custom state (update_state): its meta is the result, as in Celery.
      spec.result = record.meta === undefined ? null : fromJsonValue(record.meta);
  }
  return spec;
}

/** The Lovage record of a Celery meta. */
export function recordOfMeta(meta: CeleryResultMeta): ResultRecord {
  const record: ResultRecord = {
    id: meta.taskId,
    state: meta.status,
    retries: meta.extended?.retries ?? 0,
    attempts: [],
    task: meta.extended?.name,
    worker: meta.extended?.worker,
    queue: meta.extended?.queue,
    dateDone: meta.dateDone?.toISOString(),
  };
  if (meta.status === 'REVOKED') {
    record.reason = meta.exception?.message || 'revoked';
  } else if (meta.status === 'FAILURE' || meta.status === 'RETRY') {
    const exc = meta.exception;
    // celery-node stores a failure with result null: still a failure, of an unknown kind.
    record.error = exc ? { name: exc.type, message: exc.message, stack: meta.traceback } : { name: 'Error', message: 'unknown failure', stack: meta.traceback };
  } else if (meta.status === 'SUCCESS') {
    record.result = toEngineJson(meta.result, 'result');
  } else if (meta.result !== undefined && meta.result !== null) {
    record.meta = toEngineJson(meta.result, 'meta');
  }
  return record;
}

/** One chord member's outcome as Celery's Redis backend keeps it in `<group>.j`: [1, id, state, result]. */
export interface ChordPart {
  id: string;
  state: string;
  /** The return value (kombu JSON, type tags not decoded), or for FAILURE / REVOKED Celery's exception dict. */
  result: unknown;
}

export class CeleryResultBackend implements ResultBackend {
  private subscriber: Redis | undefined;
  /** Listeners per result channel; the channel is subscribed while it has any. */
  private readonly listeners = new Map<string, Set<(text: string) => void>>();

  constructor(
    private readonly client: Redis,
    private readonly layout: KombuLayout,
    private readonly dialect: KombuDialect,
  ) {}

  close(): Promise<void> {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
    return Promise.resolve();
  }

  store(record: ResultRecord, ttlMs: number): Promise<void> {
    return this.storeMany([record], ttlMs);
  }

  /**
   * Stores results in one script call (celery-store-results-n.lua: one
   * command, each meta sent once) rather than a MULTI per task: the worker
   * hands over every result of an event-loop turn at once. Each result's SETEX
   * and PUBLISH still apply together, as Celery's do.
   */
  async storeMany(records: readonly ResultRecord[], ttlMs: number): Promise<void> {
    if (records.length === 0) return;
    const seconds = Math.max(1, Math.round(ttlMs / 1000));
    const keys: string[] = [];
    const argv: (string | number)[] = [];
    for (const record of records) {
      keys.push(this.layout.resultKey(record.id));
      argv.push(encodeResultMeta(metaOfRecord(record), this.dialect), seconds);
    }
    await runScript(this.client, 'celery-store-results', keys, argv);
  }

  async storeUnlessReady(record: ResultRecord, ttlMs: number): Promise<boolean> {
    const key = this.layout.resultKey(record.id);
    const json = encodeResultMeta(metaOfRecord(record), this.dialect);
    // Whole seconds, as Celery's SETEX writes them.
    const ms = Math.max(1, Math.round(ttlMs / 1000)) * 1000;
    return Number(await runScript(this.client, 'store-unless-ready', [key], ['status', ms, key, json])) === 1;
  }

  async get(id: string): Promise<ResultRecord | undefined> {
    const text = await this.client.get(this.layout.resultKey(id));
    return text === null ? undefined : recordOfMeta(decodeResultMeta(text));
  }

  private subscribed(): Redis {
    if (this.subscriber) return this.subscriber;
    const sub = this.client.duplicate();
    this.subscriber = sub;
    sub.on('message', (channel: string, text: string) => {
      for (const listener of [...(this.listeners.get(channel) ?? [])]) listener(text);
    });
    return sub;
  }

  async waitForReady(id: string, timeoutMs: number): Promise<ResultRecord | undefined> {
    const channel = this.layout.resultKey(id);
    const sub = this.subscribed();
    let resolve!: (record: ResultRecord | undefined) => void;
    const ready = new Promise<ResultRecord | undefined>((r) => (resolve = r));
    const listener = (text: string): void => {
      try {
        const record = recordOfMeta(decodeResultMeta(text));
        // Celery publishes every state (STARTED, RETRY…): only a ready one ends the wait.
        if (READY_STATES.has(record.state)) resolve(record);
      } catch {
        // Not a result meta (someone else's message on the channel): keep waiting.
      }
    };
    let set = this.listeners.get(channel);
    const first = set === undefined;
    set ??= new Set();
    this.listeners.set(channel, set);
    set.add(listener);
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    try {
      if (first) await sub.subscribe(channel);
      const current = await this.get(id);
      if (current && READY_STATES.has(current.state)) return current;
      return await ready;
    } finally {
      clearTimeout(timer);
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(channel) === set) {
        this.listeners.delete(channel);
        await sub.unsubscribe(channel).catch(() => undefined);
      }
    }
  }

  /**
   * Celery's set_chord_size: `celery-taskset-meta-<gid>.s` holds how many
   * members the chord waits for (SETEX and PUBLISH, as the backend's set()).
   */
  async setChordSize(groupId: string, size: number, ttlMs: number): Promise<void> {
    const key = this.layout.groupResultKey(groupId, '.s');
    const seconds = Math.max(1, Math.round(ttlMs / 1000));
    const replies = await this.client.multi().setex(key, seconds, String(size)).publish(key, String(size)).exec();
    for (const [err] of replies ?? []) if (err) throw err;
  }

  /**
   * Celery's on_chord_part_return on Redis (result_chord_ordered, the
   * default): the part goes into the `.j` sorted set scored by its group
   * index, and one MULTI reads back how many parts are in, the `.t` difference
   * (members a task replaced) and the `.s` size. The member whose MULTI sees
   * the set complete is the only one that fires the callback, whether it runs
   * in Python or here; a redelivered part adds the same member again and counts
   * nothing. Returns every part in group-index order when this part completed
   * the chord (the keys are deleted then), undefined otherwise.
   */
  async chordPartReturn(groupId: string, groupIndex: number | undefined, part: ChordPart, ttlMs: number): Promise<ChordPart[] | undefined> {
    const jkey = this.layout.groupResultKey(groupId, '.j');
    const tkey = this.layout.groupResultKey(groupId, '.t');
    const skey = this.layout.groupResultKey(groupId, '.s');
    const seconds = Math.max(1, Math.round(ttlMs / 1000));
    const encoded = stringifyKombuJson([1, part.id, part.state, part.result], this.dialect, 'result');
    const replies = await this.client
      .multi()
      .zadd(jkey, groupIndex === undefined ? '+inf' : String(groupIndex), encoded)
      .zcount(jkey, '-inf', '+inf')
      .get(tkey)
      .get(skey)
      .expire(jkey, seconds)
      .expire(tkey, seconds)
      .expire(skey, seconds)
      .exec();
    for (const [err] of replies ?? []) if (err) throw err;
    const [, ready, diff, size] = (replies ?? []).map(([, value]) => value);
    if (size === null || size === undefined) return undefined;
    if (Number(ready) !== Number(size) + Number(diff ?? 0)) return undefined;
    const members = await this.client.zrange(jkey, '0', '-1');
    await this.client.del(jkey, tkey, skey);
    return members.map((text, i) => {
      const [, id, state, result] = parseJson(text, `${jkey}[${i}]`) as [number, string, string, unknown];
      return { id, state, result };
    });
  }

  async forget(id: string): Promise<void> {
    await this.client.del(this.layout.resultKey(id));
  }
}
