// `app.workflows`: operations on a whole workflow (every task of one applied
// canvas), for operators and the monitor.
import { randomUUID } from 'node:crypto';
import type { ResultBackend } from '../result/backend.js';
import type { TaskMessage } from '../task/message.js';
import type { MessageCodec } from '../task/message-codec.js';
import type { WorkflowStore } from './workflow-store.js';

export interface WorkflowsDeps {
  readonly codec: MessageCodec;
  readonly resultExpiresMs: number;
  store(): WorkflowStore;
  backend(): ResultBackend;
  publish(messages: TaskMessage[]): Promise<void>;
}

const RETRYABLE = new Set(['FAILURE', 'REVOKED']);

export class Workflows {
  constructor(private readonly deps: WorkflowsDeps) {}

  /**
   * Re-sends every failed (or revoked) member of the workflow of `taskId` (any
   * of its tasks, or its root id) that was not retried yet, as a new task id
   * with the original canvas headers (same group, index, chord, chain) plus
   * `retriedFrom: <old id>`. A retried chord member that succeeds takes the
   * failed one's place in the chord's join, so the callback runs (once) when
   * every member has succeeded. Each member is retried at most once, even when
   * two callers race; call again to retry a retry that failed too.
   */
  async retryFailed(taskId: string): Promise<{ retried: { from: string; to: string }[] }> {
    const store = this.deps.store();
    const rootId = (await store.rootOf(taskId)) ?? taskId;
    const [members, retries] = await Promise.all([store.members(rootId), store.retries(rootId)]);
    const backend = this.deps.backend();
    const states = await Promise.all(members.map((m) => (retries.has(m.id) ? Promise.resolve(undefined) : backend.get(m.id))));
    const retried: { from: string; to: string }[] = [];
    const messages: TaskMessage[] = [];
    const now = Date.now();
    for (const [i, member] of members.entries()) {
      const state = states[i]?.state;
      if (state === undefined || !RETRYABLE.has(state)) continue;
      const decoded = this.deps.codec.decode(member.body);
      if (!decoded.ok) continue;
      const to = randomUUID();
      if (!(await store.claimRetry(rootId, member.id, to, this.deps.resultExpiresMs))) continue;
      const m = decoded.message;
      messages.push({ ...m, id: to, retries: 0, attempts: [], eta: undefined, expires: undefined, sentAt: now, headers: { ...m.headers, retriedFrom: member.id } });
      retried.push({ from: member.id, to });
    }
    if (messages.length > 0) {
      await store.recordMembers(rootId, messages.map((m) => ({ id: m.id, body: this.deps.codec.encode(m) })), this.deps.resultExpiresMs);
      await this.deps.publish(messages);
    }
    return { retried };
  }
}
