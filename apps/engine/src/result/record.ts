// What a result backend keeps per task. `attempts` is the complete retry
// history: one entry per run of the task, written by the worker that ran it.

import type { AttemptOutcome } from './task-model.js';

export { READY_STATES, type TaskState } from './task-model.js';

export interface RemoteError {
  name: string;
  message: string;
  stack?: string | undefined;
}

export interface AttemptRecord {
  /** 1 for the first run, 2 for the first retry, ... */
  attempt: number;
  hostname: string;
  startedAt: string;
  endedAt: string;
  /** How this attempt ended. */
  outcome: Exclude<AttemptOutcome, 'RUNNING' | 'LOST'>;
  error?: RemoteError | undefined;
  /** When the next try is due (ISO), for attempts that ended in RETRY. */
  nextRetryAt?: string | undefined;
}

export interface ResultRecord {
  id: string;
  task?: string | undefined;
  /** A TaskState, or a custom state set by `updateState`. */
  state: string;
  /** The JSON-encoded return value (dates tagged). */
  result?: unknown;
  error?: RemoteError | undefined;
  /** Why a task was revoked: 'revoked' or 'expired'. */
  reason?: string | undefined;
  retries: number;
  attempts: AttemptRecord[];
  meta?: unknown;
  queue?: string | undefined;
  worker?: string | undefined;
  dateDone?: string | undefined;
}

export function errorToRemote(err: unknown): RemoteError {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: 'Error', message: String(err) };
}
