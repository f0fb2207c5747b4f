// The workflow store in process, with the Redis scripts' semantics: a join's
// record-and-maybe-fire runs synchronously (one step of the event loop), which
// is what makes it atomic here.
import {
  splitAtToken,
  type ChordJoinRef,
  type JoinReply,
  type MemberOutcome,
  type OpenChord,
  type WorkflowMember,
  type WorkflowStore,
} from '../../canvas/workflow-store.js';
import type { MemoryBroker } from './memory-broker.js';

interface Join {
  size: number;
  head: string;
  tail: string;
  splice: boolean;
  callback: OpenChord['callback'];
  /** index → 'ok' or 'fail:<member id>'. */
  slots: Map<number, string>;
  results: Map<number, string>;
  done: number;
  failed: number;
  fired: boolean;
  until: number;
}

interface Workflow {
  members: Map<string, string>;
  retried: Map<string, string>;
  until: number;
}

/** The joins and workflows of one memory:// URL and prefix, shared by its adapters. */
export class MemoryWorkflows {
  readonly joins = new Map<string, Join>();
  readonly workflows = new Map<string, Workflow>();
  readonly roots = new Map<string, { root: string; until: number }>();
}

const live = <T extends { until: number }>(map: Map<string, T>, key: string): T | undefined => {
  const v = map.get(key);
  if (v && v.until <= Date.now()) {
    map.delete(key);
    return undefined;
  }
  return v;
};

export class MemoryWorkflowStore implements WorkflowStore {
  constructor(
    private readonly s: MemoryWorkflows,
    private readonly broker: () => MemoryBroker,
  ) {}

  openChord(chord: OpenChord, ttlMs: number): Promise<void> {
    const key = `${chord.queue}|${chord.groupId}`;
    if (!live(this.s.joins, key)) {
      const [head, tail] = chord.splice ? splitAtToken(chord.callback.body) : [chord.callback.body, ''];
      this.s.joins.set(key, {
        size: chord.size,
        head,
        tail,
        splice: chord.splice,
        callback: chord.callback,
        slots: new Map(),
        results: new Map(),
        done: 0,
        failed: 0,
        fired: false,
        until: Date.now() + ttlMs,
      });
    }
    return Promise.resolve();
  }

  joinChord(ref: ChordJoinRef, index: number, outcome: MemberOutcome, ttlMs: number): Promise<JoinReply> {
    const j = live(this.s.joins, `${ref.queue}|${ref.groupId}`);
    if (!j) return Promise.resolve({ kind: 'missing' });
    if (j.fired) return Promise.resolve({ kind: 'duplicate' });
    j.until = Date.now() + ttlMs;
    const cur = j.slots.get(index);
    const plain = j.splice ? `${j.head}[]${j.tail}` : j.head;
    if (outcome.ok) {
      if (cur === 'ok') return Promise.resolve({ kind: 'duplicate' });
      j.slots.set(index, 'ok');
      j.results.set(index, outcome.result);
      j.done++;
      if (cur !== undefined) j.failed--;
      if (j.done < j.size || j.failed > 0) return Promise.resolve({ kind: 'counted' });
      const results = Array.from({ length: j.size }, (_, i) => j.results.get(i) ?? 'null');
      const body = j.splice ? `${j.head}[${results.join(',')}]${j.tail}` : j.head;
      j.fired = true;
      void this.broker().enqueue({ ...j.callback, body });
      return Promise.resolve({ kind: 'fired', body });
    }
    if (cur === 'ok') return Promise.resolve({ kind: 'duplicate' });
    j.slots.set(index, `fail:${outcome.memberId}`);
    if (cur !== undefined) return Promise.resolve({ kind: 'failed', first: false, body: plain });
    j.failed++;
    return Promise.resolve({ kind: 'failed', first: j.failed === 1, body: plain });
  }

  private workflow(rootId: string, ttlMs: number): Workflow {
    let w = live(this.s.workflows, rootId);
    if (!w) {
      w = { members: new Map(), retried: new Map(), until: 0 };
      this.s.workflows.set(rootId, w);
    }
    w.until = Date.now() + ttlMs;
    return w;
  }

  recordMembers(rootId: string, members: WorkflowMember[], ttlMs: number): Promise<void> {
    const w = this.workflow(rootId, ttlMs);
    for (const m of members) {
      w.members.set(m.id, m.body);
      this.s.roots.set(m.id, { root: rootId, until: Date.now() + ttlMs });
    }
    return Promise.resolve();
  }

  members(rootId: string): Promise<WorkflowMember[]> {
    const w = live(this.s.workflows, rootId);
    return Promise.resolve(w ? [...w.members].map(([id, body]) => ({ id, body })) : []);
  }

  rootOf(taskId: string): Promise<string | undefined> {
    return Promise.resolve(live(this.s.roots, taskId)?.root);
  }

  claimRetry(rootId: string, fromId: string, toId: string, ttlMs: number): Promise<boolean> {
    const w = this.workflow(rootId, ttlMs);
    if (w.retried.has(fromId)) return Promise.resolve(false);
    w.retried.set(fromId, toId);
    return Promise.resolve(true);
  }

  retries(rootId: string): Promise<Map<string, string>> {
    return Promise.resolve(new Map(live(this.s.workflows, rootId)?.retried ?? []));
  }
}
