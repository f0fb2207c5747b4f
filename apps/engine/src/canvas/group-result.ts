// A group's results: one handle per member, in member order.
import { TimeoutError } from '../errors.js';
import { toMs, type Duration } from '../time/duration.js';

/** A member's handle: an AsyncResult (a task, a chain's last step, a chord's callback) or a nested GroupResult. */
export interface MemberResult {
  get(options?: { timeout?: Duration }): Promise<unknown>;
  ready(): Promise<boolean>;
  successful(): Promise<boolean>;
}

export class GroupResult implements MemberResult {
  /** The result (a chain's previous step, a chord's group) this group's members received their argument from. */
  parent: { readonly id: string } | undefined;

  constructor(
    readonly id: string,
    readonly results: readonly MemberResult[],
    /** Every task id the group runs (nested ones too), for revoke. */
    private readonly taskIds: readonly string[],
    private readonly revokeTasks: (ids: string[], options: { terminate?: boolean | undefined }) => Promise<void>,
  ) {}

  /**
   * Waits for every member and returns their values in member order. Throws the
   * first failure in member order (TaskFailedError, TaskRevokedError), or
   * TimeoutError when `timeout` (one deadline for the whole group) runs out.
   */
  async get(options: { timeout?: Duration } = {}): Promise<unknown[]> {
    const timeoutMs = options.timeout === undefined ? 86_400_000 : toMs(options.timeout, 'timeout');
    const deadline = Date.now() + timeoutMs;
    const values: unknown[] = [];
    // One member at a time: a failure ends the wait without leaving the other waits behind.
    for (const r of this.results) {
      const left = deadline - Date.now();
      if (left <= 0) throw new TimeoutError(`group ${this.id} was not ready within ${timeoutMs}ms`);
      values.push(await r.get({ timeout: left }));
    }
    return values;
  }

  /** true when every member reached a ready state (SUCCESS, FAILURE or REVOKED). */
  async ready(): Promise<boolean> {
    const each = await Promise.all(this.results.map((r) => r.ready()));
    return each.every(Boolean);
  }

  /** true when every member succeeded. */
  async successful(): Promise<boolean> {
    return (await this.completedCount()) === this.results.length;
  }

  /** How many members succeeded. */
  async completedCount(): Promise<number> {
    const each = await Promise.all(this.results.map((r) => r.successful()));
    return each.filter(Boolean).length;
  }

  /** Revokes every task of the group (nested ones too). */
  async revoke(options: { terminate?: boolean } = {}): Promise<void> {
    await this.revokeTasks([...this.taskIds], options);
  }
}
