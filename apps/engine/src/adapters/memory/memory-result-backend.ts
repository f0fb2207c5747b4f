import { EventEmitter } from 'node:events';
import type { ResultBackend } from '../../result/backend.js';
import { READY_STATES, type ResultRecord } from '../../result/record.js';

interface Store {
  records: Map<string, { record: ResultRecord; until: number }>;
  events: EventEmitter;
}
const stores = new Map<string, Store>();

/** In-process result backend with the Redis backend's semantics (TTL, wake-ups). */
export class MemoryResultBackend implements ResultBackend {
  private readonly s: Store;
  constructor(url: string, prefix: string) {
    const key = `${url}|${prefix}`;
    let s = stores.get(key);
    if (!s) {
      s = { records: new Map(), events: new EventEmitter() };
      s.events.setMaxListeners(0);
      stores.set(key, s);
    }
    this.s = s;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  store(record: ResultRecord, ttlMs: number): Promise<void> {
    const copy = JSON.parse(JSON.stringify(record)) as ResultRecord;
    this.s.records.set(record.id, { record: copy, until: Date.now() + ttlMs });
    if (READY_STATES.has(record.state)) setImmediate(() => this.s.events.emit(record.id, copy));
    return Promise.resolve();
  }
  storeMany(records: readonly ResultRecord[], ttlMs: number): Promise<void> {
    for (const record of records) void this.store(record, ttlMs);
    return Promise.resolve();
  }
  /** Reads and writes in one turn, so a record stored meanwhile is never overwritten. */
  storeUnlessReady(record: ResultRecord, ttlMs: number): Promise<boolean> {
    const current = this.live(record.id);
    if (current && READY_STATES.has(current.state)) return Promise.resolve(false);
    return this.store(record, ttlMs).then(() => true);
  }
  get(id: string): Promise<ResultRecord | undefined> {
    const current = this.live(id);
    return Promise.resolve(current && (JSON.parse(JSON.stringify(current)) as ResultRecord));
  }
  /** The stored record unless its TTL passed (an expired one is dropped). Not a copy. */
  private live(id: string): ResultRecord | undefined {
    const entry = this.s.records.get(id);
    if (entry && entry.until <= Date.now()) {
      this.s.records.delete(id);
      return undefined;
    }
    return entry?.record;
  }
  async waitForReady(id: string, timeoutMs: number): Promise<ResultRecord | undefined> {
    const current = await this.get(id);
    if (current && READY_STATES.has(current.state)) return current;
    return new Promise((resolve) => {
      const done = (record: ResultRecord | undefined): void => {
        clearTimeout(timer);
        this.s.events.off(id, done);
        resolve(record);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.s.events.on(id, done);
    });
  }
  forget(id: string): Promise<void> {
    this.s.records.delete(id);
    return Promise.resolve();
  }
}
