// The result backend port: where task states and results live. `result/` (and
// the worker, through its settle pipeline) use it; implementations live in
// src/adapters/*, chosen by URL in src/adapters/create-adapter.ts.
import type { ResultRecord } from './record.js';

export interface ResultBackend {
  close(): Promise<void>;
  /** Stores the record for `ttlMs`; a ready state also wakes every waiter. */
  store(record: ResultRecord, ttlMs: number): Promise<void>;
  /**
   * Stores records as `store` does, in one round trip where the backend can
   * (the worker's settle pipeline hands it every record of an event-loop turn).
   * In order: a later record for the same id wins.
   */
  storeMany(records: readonly ResultRecord[], ttlMs: number): Promise<void>;
  /** Stores the record only if the task has no ready state yet. Returns whether it stored. */
  storeUnlessReady(record: ResultRecord, ttlMs: number): Promise<boolean>;
  get(id: string): Promise<ResultRecord | undefined>;
  /** Resolves with the record once it reaches a ready state; undefined on timeout. No polling. */
  waitForReady(id: string, timeoutMs: number): Promise<ResultRecord | undefined>;
  forget(id: string): Promise<void>;
}
