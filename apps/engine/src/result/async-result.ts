import { TaskFailedError, TaskRevokedError, TimeoutError } from '../errors.js';
import { fromJsonValue } from '../task/serialization.js';
import { toMs, type Duration } from '../time/duration.js';
import type { ResultBackend } from './backend.js';
import type { GroupResult } from '../canvas/group-result.js';
import { READY_STATES, type ResultRecord } from './record.js';

/** What AsyncResult needs from the app (kept narrow to avoid an import cycle). */
export interface ResultHost {
  readonly backend: ResultBackend;
  revokeTask(id: string, options: { terminate?: boolean | undefined }): Promise<void>;
}

/** A handle on a task's outcome. `R` is the handler's return type. */
export class AsyncResult<R = unknown> {
  /** In a canvas: the result this task received its argument from (a chain's previous step, a chord's group). */
  parent: AsyncResult<unknown> | GroupResult | undefined;

  constructor(
    readonly id: string,
    private readonly host: ResultHost,
  ) {}

  /**
   * The stored state: 'STARTED' (only with trackStarted), 'RETRY', 'SUCCESS',
   * 'FAILURE', 'REVOKED', or a custom state set by `updateState`; 'PENDING' when
   * nothing is stored (queued, running without trackStarted, ignored, forgotten
   * or expired). RECEIVED and REJECTED are never stored: they exist in events.
   */
  async state(): Promise<string> {
    return (await this.host.backend.get(this.id))?.state ?? 'PENDING';
  }

  /** The full record: state, result, error, retries and the attempt history. */
  async info(): Promise<ResultRecord | undefined> {
    return this.host.backend.get(this.id);
  }

  async ready(): Promise<boolean> {
    return READY_STATES.has(await this.state());
  }

  /** true when the task succeeded. */
  async successful(): Promise<boolean> {
    return (await this.state()) === 'SUCCESS';
  }

  /**
   * Waits for the result without polling. Throws TaskFailedError,
   * TaskRevokedError, or TimeoutError after `timeout` (default: wait 1 day).
   */
  async get(options: { timeout?: Duration } = {}): Promise<R> {
    const timeoutMs = options.timeout === undefined ? 86_400_000 : toMs(options.timeout, 'timeout');
    const record = await this.host.backend.waitForReady(this.id, timeoutMs);
    if (!record) throw new TimeoutError(`task ${this.id} was not ready within ${timeoutMs}ms`);
    if (record.state === 'SUCCESS') return fromJsonValue(record.result) as R;
    if (record.state === 'REVOKED') throw new TaskRevokedError(this.id, record.reason);
    throw new TaskFailedError(this.id, record.error ?? { name: 'Error', message: 'unknown failure' });
  }

  async revoke(options: { terminate?: boolean } = {}): Promise<void> {
    await this.host.revokeTask(this.id, options);
  }

  /** Deletes the stored result. */
  async forget(): Promise<void> {
    await this.host.backend.forget(this.id);
  }
}
