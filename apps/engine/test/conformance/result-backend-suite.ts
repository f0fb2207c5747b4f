// The ResultBackend port: records with a TTL, ready states wake waiters, no polling.
import { afterEach, describe, expect, it } from 'vitest';
import type { ResultRecord } from '../../src/index.js';
import { until, type Kind } from '../support.js';
import { portHarness, type PortHarness } from './ports.js';

const record = (id: string, state: string, extra: Partial<ResultRecord> = {}): ResultRecord => ({ id, state, retries: 0, attempts: [], ...extra });

export function resultBackendConformance(kind: Kind): void {
  describe(`result backend port on the ${kind} adapter`, () => {
    let h: PortHarness;
    afterEach(async () => {
      await h.close();
    });

    it('stores and reads records, wakes a waiter on a ready state, keeps a ready state from being overwritten, forgets', async () => {
      h = portHarness(kind, 'results');
      const backend = h.port('resultBackend');
      const other = h.port('resultBackend');
      expect(await backend.get('r1')).toBeUndefined();
      await backend.store(record('r1', 'STARTED'), 60_000);
      expect((await other.get('r1'))?.state).toBe('STARTED');
      const waiting = other.waitForReady('r1', 10_000);
      await backend.store(record('r1', 'SUCCESS', { result: { n: 1 } }), 60_000);
      expect(await waiting).toMatchObject({ state: 'SUCCESS', result: { n: 1 } });
      expect(await backend.storeUnlessReady(record('r1', 'REVOKED'), 60_000)).toBe(false);
      expect(await backend.storeUnlessReady(record('r2', 'REVOKED'), 60_000)).toBe(true);
      expect(await other.waitForReady('nothing', 50)).toBeUndefined();
      await backend.forget('r1');
      expect(await other.get('r1')).toBeUndefined();
    });

    it('storeUnlessReady never overwrites a ready record stored while it runs', async () => {
      // A revoker's REVOKED against the worker's own REVOKED, which carries the run it stopped.
      h = portHarness(kind, 'results-race');
      const backend = h.port('resultBackend');
      const stopped = { attempt: 1, hostname: 'w1', startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:01.000Z', outcome: 'REVOKED' as const };
      for (let i = 0; i < 20; i++) {
        const id = `race-${i}`;
        await Promise.all([
          backend.storeUnlessReady(record(id, 'REVOKED'), 60_000),
          backend.store(record(id, 'REVOKED', { attempts: [stopped] }), 60_000),
        ]);
        expect((await backend.get(id))?.attempts, id).toEqual([stopped]);
      }
    });

    it('storeMany stores a batch in order (a later record for the same id wins) and wakes the waiters of ready ones', async () => {
      h = portHarness(kind, 'results-many');
      const backend = h.port('resultBackend');
      const other = h.port('resultBackend');
      // Even ids end ready, odd ones are only STARTED: a ready record far into the batch wakes its waiter, a started one never does.
      // The waiters are subscribed before the batch is stored (the probe's subscription comes after theirs), so only announcements reach them.
      await other.waitForReady('warm-up', 1);
      const waiting = other.waitForReady('m1000', 10_000);
      const laterReady = other.waitForReady('m1001', 10_000);
      const probe = other.waitForReady('probe', 10_000);
      await backend.store(record('probe', 'SUCCESS'), 60_000);
      await probe;
      const records = Array.from({ length: 1_200 }, (_, i) => (i % 2 === 0 ? record(`m${i}`, 'SUCCESS', { result: i }) : record(`m${i}`, 'STARTED')));
      await backend.storeMany([record('m2', 'STARTED'), ...records, record('m3', 'STARTED'), record('m3', 'FAILURE')], 60_000);
      expect(await waiting).toMatchObject({ state: 'SUCCESS', result: 1000 });
      expect((await other.get('m1001'))?.state).toBe('STARTED');
      await backend.store(record('m1001', 'SUCCESS', { result: 'later' }), 60_000);
      expect(await laterReady).toMatchObject({ state: 'SUCCESS', result: 'later' });
      expect((await other.get('m2'))?.state).toBe('SUCCESS');
      expect((await other.get('m3'))?.state).toBe('FAILURE');
      expect(await other.get('m1198')).toMatchObject({ state: 'SUCCESS', result: 1198 });
      await backend.storeMany([], 60_000);
    });

    it('drops records after their TTL', async () => {
      h = portHarness(kind, 'results-ttl');
      const backend = h.port('resultBackend');
      await backend.store(record('short', 'SUCCESS'), 50);
      await until(async () => (await backend.get('short')) === undefined);
    });
  });
}
