// The WorkflowStore port: a chord's join counts each member index once, fires
// its callback (enqueued in the same step) exactly once, fails on a member's
// failure and re-opens when a retried member succeeds in the failed slot; and
// workflow members and retry claims.
import { afterEach, describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../src/index.js';
import type { Kind } from '../support.js';
import { portHarness, type PortHarness } from './ports.js';

const callback = (id: string): OutgoingMessage => ({
  id,
  queue: 'cb',
  priority: 0,
  body: `{"id":"${id}","args":["__lovage_chord_results__",7],"headers":{}}`,
});

export function workflowStoreConformance(kind: Kind): void {
  describe(`workflow store port on the ${kind} adapter`, () => {
    let h: PortHarness;
    afterEach(async () => {
      await h.close();
    });

    it('counts a member index once and enqueues the callback with the results in order, exactly once', async () => {
      h = portHarness(kind, 'chord-join');
      const store = h.port('workflowStore');
      const broker = h.port('broker');
      const ref = { groupId: 'g1', queue: 'cb' };
      await store.openChord({ ...ref, size: 3, splice: true, callback: callback('cb1') }, 60_000);
      await store.openChord({ ...ref, size: 3, splice: true, callback: callback('other') }, 60_000);
      expect(await store.joinChord(ref, 2, { ok: true, result: '"c"' }, 60_000)).toEqual({ kind: 'counted' });
      expect(await store.joinChord(ref, 0, { ok: true, result: '{"a":1}' }, 60_000)).toEqual({ kind: 'counted' });
      // A redelivered member: its slot is taken, nothing counts.
      expect(await store.joinChord(ref, 0, { ok: true, result: '{"a":1}' }, 60_000)).toEqual({ kind: 'duplicate' });
      expect((await broker.queueStats('cb')).ready).toBe(0);
      const fired = await store.joinChord(ref, 1, { ok: true, result: 'null' }, 60_000);
      expect(fired).toEqual({ kind: 'fired', body: '{"id":"cb1","args":[[{"a":1},null,"c"],7],"headers":{}}' });
      expect(await store.joinChord(ref, 1, { ok: true, result: 'null' }, 60_000)).toEqual({ kind: 'duplicate' });
      const reserved = await broker.reserve(['cb'], 10, 30_000);
      expect(reserved.deliveries.map((d) => [d.id, d.body])).toEqual([['cb1', fired.kind === 'fired' ? fired.body : '']]);
      expect(await store.joinChord({ groupId: 'nope', queue: 'cb' }, 0, { ok: true, result: '1' }, 60_000)).toEqual({ kind: 'missing' });
    });

    it('fails on a member failure once, and fires when a retried member succeeds in the failed slot', async () => {
      h = portHarness(kind, 'chord-fail');
      const store = h.port('workflowStore');
      const broker = h.port('broker');
      const ref = { groupId: 'g2', queue: 'cb' };
      await store.openChord({ ...ref, size: 2, splice: false, callback: { ...callback('cb2'), body: '{"id":"cb2"}' } }, 60_000);
      expect(await store.joinChord(ref, 0, { ok: true, result: '1' }, 60_000)).toEqual({ kind: 'counted' });
      expect(await store.joinChord(ref, 1, { ok: false, memberId: 'm1' }, 60_000)).toEqual({ kind: 'failed', first: true, body: '{"id":"cb2"}' });
      expect(await store.joinChord(ref, 1, { ok: false, memberId: 'm1' }, 60_000)).toMatchObject({ kind: 'failed', first: false });
      expect(await store.joinChord(ref, 1, { ok: true, result: '2' }, 60_000)).toEqual({ kind: 'fired', body: '{"id":"cb2"}' });
      expect((await broker.queueStats('cb')).ready).toBe(1);
    });

    it('records workflow members by root id and claims each retry once', async () => {
      h = portHarness(kind, 'workflow');
      const store = h.port('workflowStore');
      await store.recordMembers('root', [{ id: 'a', body: 'A' }, { id: 'b', body: 'B' }], 60_000);
      expect((await store.members('root')).sort((x, y) => x.id.localeCompare(y.id))).toEqual([{ id: 'a', body: 'A' }, { id: 'b', body: 'B' }]);
      expect(await store.rootOf('b')).toBe('root');
      expect(await store.rootOf('zzz')).toBeUndefined();
      expect(await store.claimRetry('root', 'a', 'a2', 60_000)).toBe(true);
      expect(await store.claimRetry('root', 'a', 'a3', 60_000)).toBe(false);
      expect([...(await store.retries('root'))]).toEqual([['a', 'a2']]);
    });
  });
}
