// The workflow store on Redis: chord joins (chord-open-1.lua, chord-join-8.lua,
// each in the callback queue's slot) and the workflow member records.
import {
  splitAtToken,
  type ChordJoinRef,
  type JoinReply,
  type MemberOutcome,
  type OpenChord,
  type WorkflowMember,
  type WorkflowStore,
} from '../../canvas/workflow-store.js';
import type { RedisClient } from './connection.js';
import { chordKey, queueKeys, queuesKey, workflowMembersKey, workflowRetriedKey, workflowRootKey } from './keys.js';
import { runScript } from './scripts.js';
import { wakeWorkers } from './wake.js';

const ms = (ttlMs: number): number => Math.max(1, Math.round(ttlMs));

export class RedisWorkflowStore implements WorkflowStore {
  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}

  async openChord(chord: OpenChord, ttlMs: number): Promise<void> {
    const c = chord.callback;
    const [head, tail] = chord.splice ? splitAtToken(c.body) : [c.body, ''];
    // The queue-name set (so revoke reaches the callback's queue) is in another slot on Cluster: a command of its own.
    await Promise.all([
      runScript(
        this.client,
        'chord-open',
        [chordKey(this.prefix, chord.queue, chord.groupId)],
        [chord.size, c.id, c.priority, c.eta ?? '', chord.queue, head, tail, chord.splice ? '1' : '0', ms(ttlMs)],
      ),
      this.client.sadd(queuesKey(this.prefix), chord.queue),
    ]);
  }

  async joinChord(ref: ChordJoinRef, index: number, outcome: MemberOutcome, ttlMs: number): Promise<JoinReply> {
    const k = queueKeys(this.prefix, ref.queue);
    const reply = (await runScript(
      this.client,
      'chord-join',
      [chordKey(this.prefix, ref.queue, ref.groupId), k.ready, k.delayed, k.messages, k.priorities, k.sequence, k.marker, k.rate],
      [Date.now(), index, outcome.ok ? 'ok' : 'fail', outcome.ok ? outcome.result : outcome.memberId, ms(ttlMs)],
    )) as string[];
    switch (reply[0]) {
      case 'counted':
      case 'duplicate':
      case 'missing':
        return { kind: reply[0] };
      case 'fired':
        await wakeWorkers(this.client, this.prefix, [ref.queue]);
        return { kind: 'fired', body: reply[1]! };
      default:
        return { kind: 'failed', first: reply[1] === '1', body: reply[2]! };
    }
  }

  async recordMembers(rootId: string, members: WorkflowMember[], ttlMs: number): Promise<void> {
    if (members.length === 0) return;
    const key = workflowMembersKey(this.prefix, rootId);
    // Plain commands, not one pipeline: each member's root key is in a slot of
    // its own on Cluster. ioredis writes them at once, in one round trip per
    // server and in order, so the PEXPIRE follows the HSETs.
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < members.length; i += 500) {
      calls.push(this.client.hset(key, ...members.slice(i, i + 500).flatMap((m) => [m.id, m.body])));
    }
    calls.push(this.client.pexpire(key, ms(ttlMs)));
    for (const m of members) calls.push(this.client.set(workflowRootKey(this.prefix, m.id), rootId, 'PX', ms(ttlMs)));
    await Promise.all(calls);
  }

  async members(rootId: string): Promise<WorkflowMember[]> {
    const all = await this.client.hgetall(workflowMembersKey(this.prefix, rootId));
    return Object.entries(all).map(([id, body]) => ({ id, body }));
  }

  async rootOf(taskId: string): Promise<string | undefined> {
    return (await this.client.get(workflowRootKey(this.prefix, taskId))) ?? undefined;
  }

  async claimRetry(rootId: string, fromId: string, toId: string, ttlMs: number): Promise<boolean> {
    return Number(await runScript(this.client, 'workflow-claim-retry', [workflowRetriedKey(this.prefix, rootId)], [fromId, toId, ms(ttlMs)])) === 1;
  }

  async retries(rootId: string): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.client.hgetall(workflowRetriedKey(this.prefix, rootId))));
  }
}
