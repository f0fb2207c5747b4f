// Where task states and results live. Like the transport, an interface with a
// Redis and a memory implementation, chosen by URL.
import { defaultLogger, type Logger } from '../app/logger.js';
import { ConfigError } from '../errors.js';
import type { ResultRecord } from './record.js';
import { MemoryResultBackend } from './memory-backend.js';
import { RedisResultBackend } from './redis-backend.js';

export interface ResultBackend {
  connect(): Promise<void>;
  close(): Promise<void>;
  /** Stores the record for `ttlMs`; a ready state also wakes every waiter. */
  store(record: ResultRecord, ttlMs: number): Promise<void>;
  /** Stores the record only if the task has no ready state yet. Returns whether it stored. */
  storeUnlessReady(record: ResultRecord, ttlMs: number): Promise<boolean>;
  get(id: string): Promise<ResultRecord | undefined>;
  /** Resolves with the record once it reaches a ready state; undefined on timeout. No polling. */
  waitForReady(id: string, timeoutMs: number): Promise<ResultRecord | undefined>;
  forget(id: string): Promise<void>;
}

export function createResultBackend(url: string, prefix: string, logger: Logger = defaultLogger('info', 'lovage')): ResultBackend {
  if (url.startsWith('memory://')) return new MemoryResultBackend(url, prefix);
  if (/^(redis|rediss|redis\+sentinel|redis\+cluster):\/\//.test(url)) return new RedisResultBackend(url, prefix, logger);
  throw new ConfigError(`backend: unsupported URL scheme in ${JSON.stringify(url)}`);
}
