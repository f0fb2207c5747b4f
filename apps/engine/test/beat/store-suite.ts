// The schedule store's conformance suite, run unchanged on the Redis and the
// memory store. Nothing here knows which one it has.
import { afterEach, describe, expect, it } from 'vitest';
import { uniquePrefix } from '@lovage/test-support/redis';
import {
  ScheduleConflictError,
  ScheduleNotFoundError,
  resolveSchedule,
  type BeatEvent,
} from '../../src/index.js';
import type { ScheduleStore } from '../../src/beat/schedule-store.js';
import type { Adapter } from '../../src/adapters/adapter.js';
import { createAdapter } from '../../src/adapters/create-adapter.js';
import { deleteTestKeys, redisUrl, sleep, until, type Kind } from '../support.js';

export function storeConformance(kind: Kind): void {
  describe(`schedule store on the ${kind} adapter`, () => {
    const adapters: Adapter[] = [];
    let prefix = uniquePrefix('beat');

    afterEach(async () => {
      await Promise.all(adapters.splice(0).map((t) => t.close()));
      if (kind === 'redis') await deleteTestKeys(prefix);
      prefix = uniquePrefix('beat');
    });

    /** A store on its own connection; two calls give two independent clients of one store. */
    function open(): Promise<ScheduleStore> {
      const adapter = createAdapter(kind === 'redis' ? redisUrl : `memory://${prefix}`, prefix);
      adapters.push(adapter);
      return Promise.resolve(adapter.scheduleStore!());
    }

    const hourly = { task: 'maintenance.cleanupTempFiles', schedule: '1h' };
    const daily = { task: 'reports.generateDailyReport', schedule: '0 8 * * *' };

    /** Claims the entry's current due occurrence the way beat does, as if `now` were its due time. */
    async function claimDue(store: ScheduleStore, name: string): Promise<boolean> {
      const entry = (await store.get(name))!;
      const due = Date.parse(entry.nextRunAt!);
      return store.claim(entry, {
        mode: 'due',
        lastDueAt: due,
        nextRunAt: due + 3_600_000,
        fired: 1,
        firedAt: due,
      });
    }

    it('creates an api entry at version 1 with no runs and its next run one interval away', async () => {
      const store = await open();
      const before = Date.now();
      const entry = await store.upsert('cleanup-every-hour', hourly, { actor: 'alice' });
      expect(entry).toMatchObject({
        name: 'cleanup-every-hour',
        source: 'api',
        version: 1,
        totalRunCount: 0,
        lastRunAt: null,
        enabled: true,
        updatedBy: 'alice',
      });
      const next = Date.parse(entry.nextRunAt!);
      expect(next).toBeGreaterThanOrEqual(before + 3_600_000);
      expect(next).toBeLessThanOrEqual(Date.now() + 3_600_000);
      expect(await store.get('cleanup-every-hour')).toEqual(entry);
      await store.upsert('daily-report', daily);
      expect((await store.list()).map((e) => e.name)).toEqual(['cleanup-every-hour', 'daily-report']);
      expect(await store.get('nope')).toBeNull();
    });

    it('refuses an update against a stale version with ScheduleConflictError carrying the current version', async () => {
      const store = await open();
      const v1 = await store.upsert('cleanup-every-hour', hourly);
      await store.upsert('cleanup-every-hour', { ...hourly, args: [1] }, { expectedVersion: v1.version });
      const error = await store
        .upsert('cleanup-every-hour', { ...hourly, args: [2] }, { expectedVersion: v1.version })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ScheduleConflictError);
      expect((error as ScheduleConflictError).currentVersion).toBe(2);
      expect((error as ScheduleConflictError).code).toBe('SCHEDULE_CONFLICT');
      expect((await store.get('cleanup-every-hour'))?.args).toEqual([1]);
      // expectedVersion 0 means "create only".
      await expect(store.upsert('cleanup-every-hour', hourly, { expectedVersion: 0 })).rejects.toBeInstanceOf(
        ScheduleConflictError,
      );
      await expect(store.remove('cleanup-every-hour', { expectedVersion: 1 })).rejects.toBeInstanceOf(
        ScheduleConflictError,
      );
      await expect(store.disable('cleanup-every-hour', { expectedVersion: 7 })).rejects.toBeInstanceOf(
        ScheduleConflictError,
      );
    });

    it('lets exactly one of two concurrent editors of the same version win', async () => {
      const [a, b] = [await open(), await open()];
      const v1 = await a.upsert('daily-report', daily);
      const results = await Promise.allSettled([
        a.upsert('daily-report', { ...daily, args: ['a'] }, { expectedVersion: v1.version, actor: 'a' }),
        b.upsert('daily-report', { ...daily, args: ['b'] }, { expectedVersion: v1.version, actor: 'b' }),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.reason).toBeInstanceOf(ScheduleConflictError);
      expect((await a.get('daily-report'))?.version).toBe(2);
    });

    it('keeps run history across edits and re-anchors an edited timetable without firing a past due time', async () => {
      const store = await open();
      const created = await store.upsert('fast', { task: 't', schedule: '200ms' });
      await sleep(Date.parse(created.nextRunAt!) - Date.now() + 20);
      const entry = (await store.get('fast'))!;
      const due = Date.parse(entry.nextRunAt!);
      expect(
        await store.claim(entry, {
          mode: 'due',
          lastDueAt: due,
          nextRunAt: due + 200,
          fired: 1,
          firedAt: Date.now(),
        }),
      ).toBe(true);
      const ran = (await store.get('fast'))!;
      expect(ran.totalRunCount).toBe(1);
      expect(ran.lastRunAt).not.toBeNull();
      await sleep(400);
      // Under the new interval the next run (last due + 50ms) has already passed:
      // the edit re-anchors at its own time instead of firing it late.
      const editedAt = Date.now();
      const edited = await store.upsert('fast', { task: 't', schedule: '50ms' });
      expect(edited.totalRunCount).toBe(1);
      expect(edited.lastRunAt).toBe(ran.lastRunAt);
      expect(edited.version).toBe(ran.version + 1);
      expect(Date.parse(edited.nextRunAt!)).toBeGreaterThanOrEqual(editedAt + 50);
      expect(Date.parse(edited.nextRunAt!)).toBeLessThanOrEqual(Date.now() + 50);
    });

    it('syncs code schedules: adds, keeps history and dashboard edits, updates changed code, removes only code entries', async () => {
      const store = await open();
      const code = [resolveSchedule('daily-report', daily), resolveSchedule('cleanup-every-hour', hourly)];
      expect(await store.sync(code)).toEqual({
        created: ['daily-report', 'cleanup-every-hour'],
        updated: [],
        removed: [],
        unchanged: [],
      });
      expect((await store.get('daily-report'))?.source).toBe('code');
      await store.upsert('adhoc', { task: 'x.y', schedule: '5m' }, { actor: 'dashboard' });
      expect(await claimDue(store, 'cleanup-every-hour')).toBe(true);
      await store.disable('daily-report', { actor: 'ops' });

      // The same code again: nothing changes, the run count and the operator's disable survive.
      const again = await store.sync(code);
      expect(again.unchanged.sort()).toEqual(['cleanup-every-hour', 'daily-report']);
      expect((await store.get('cleanup-every-hour'))?.totalRunCount).toBe(1);
      expect((await store.get('daily-report'))?.enabled).toBe(false);

      // cleanup's code changed and daily-report was deleted from code.
      const changed = await store.sync([resolveSchedule('cleanup-every-hour', { ...hourly, args: [30] })]);
      expect(changed).toEqual({
        created: [],
        updated: ['cleanup-every-hour'],
        removed: ['daily-report'],
        unchanged: [],
      });
      const cleanup = (await store.get('cleanup-every-hour'))!;
      expect(cleanup.args).toEqual([30]);
      expect(cleanup.totalRunCount).toBe(1);
      expect(await store.get('daily-report')).toBeNull();
      expect((await store.get('adhoc'))?.source).toBe('api');
      expect((await store.sync([])).removed).toEqual(['cleanup-every-hour']);
      expect((await store.list()).map((e) => e.name)).toEqual(['adhoc']);
    });

    it('takes a disabled schedule off the due list and re-enables it without firing a missed due time', async () => {
      const store = await open();
      await store.upsert('fast', { task: 't', schedule: '100ms' });
      const disabled = await store.disable('fast', { actor: 'ops' });
      expect(disabled.enabled).toBe(false);
      expect(disabled.version).toBe(2);
      expect((await store.disable('fast')).version).toBe(2); // already disabled: no edit
      await sleep(300);
      expect(await store.due(Date.now())).toEqual([]);
      const enabled = await store.enable('fast', { actor: 'ops' });
      expect(enabled.version).toBe(3);
      expect(Date.parse(enabled.nextRunAt!)).toBeGreaterThan(Date.now() - 20);
      expect(await store.due(Date.now() - 20)).toEqual([]);
      await expect(store.enable('missing')).rejects.toBeInstanceOf(ScheduleNotFoundError);
    });

    it('runs now once: the request is due at once, one claimer gets it, and the timetable is untouched', async () => {
      const [a, b] = [await open(), await open()];
      const created = await a.upsert('daily-report', daily);
      const requested = await a.runNow('daily-report', { actor: 'alice' });
      expect(requested.runRequestedAt).not.toBeNull();
      expect(requested.version).toBe(created.version);
      const [due] = await b.due(Date.now());
      expect(due?.name).toBe('daily-report');
      const claims = await Promise.all([
        a.claim(due!, { mode: 'manual', fired: 1, firedAt: Date.now() }),
        b.claim(due!, { mode: 'manual', fired: 1, firedAt: Date.now() }),
      ]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      const after = (await a.get('daily-report'))!;
      expect(after).toMatchObject({ totalRunCount: 1, runRequestedAt: null, nextRunAt: created.nextRunAt });
      expect(await a.due(Date.now())).toEqual([]);
      await expect(a.runNow('missing')).rejects.toBeInstanceOf(ScheduleNotFoundError);
    });

    it('accepts an entry sent back whole as its definition, and queues a run request even while disabled', async () => {
      const store = await open();
      const entry = await store.upsert('daily-report', daily);
      const edited = await store.upsert(
        'daily-report',
        { ...entry, args: ['eu'] },
        { expectedVersion: entry.version },
      );
      expect(edited).toMatchObject({ args: ['eu'], version: 2, nextRunAt: entry.nextRunAt });
      await store.disable('daily-report');
      await store.runNow('daily-report');
      expect((await store.due(Date.now())).map((e) => e.name)).toEqual(['daily-report']);
    });

    it('gives each due occurrence to exactly one of several concurrent claimers', async () => {
      const stores = [await open(), await open(), await open()];
      await stores[0]!.upsert('tick', { task: 't', schedule: '1s' });
      let wins = 0;
      for (let round = 0; round < 15; round++) {
        const entry = (await stores[0]!.get('tick'))!;
        const due = Date.parse(entry.nextRunAt!);
        const plan = {
          mode: 'due' as const,
          lastDueAt: due,
          nextRunAt: due + 1_000,
          fired: 1,
          firedAt: Date.now(),
        };
        const claims = await Promise.all(stores.map((s) => s.claim(entry, plan)));
        expect(claims.filter(Boolean)).toHaveLength(1);
        wins += 1;
      }
      expect((await stores[1]!.get('tick'))?.totalRunCount).toBe(wins);
    });

    it('refuses a claim made with a definition that was edited since it was read', async () => {
      const store = await open();
      const entry = await store.upsert('tick', { task: 't', schedule: '1h' });
      await store.upsert('tick', { task: 't', schedule: '1h', args: ['new'] });
      const due = Date.parse(entry.nextRunAt!);
      expect(
        await store.claim(entry, { mode: 'due', lastDueAt: due, nextRunAt: due + 1, fired: 1, firedAt: due }),
      ).toBe(false);
      expect((await store.get('tick'))?.totalRunCount).toBe(0);
    });

    it('disables a finished one-off schedule when its run is claimed', async () => {
      const store = await open();
      const entry = await store.upsert('once', {
        task: 't',
        schedule: { clocked: new Date(Date.now() + 60_000) },
      });
      const due = Date.parse(entry.nextRunAt!);
      expect(
        await store.claim(entry, {
          mode: 'due',
          lastDueAt: due,
          nextRunAt: null,
          fired: 1,
          firedAt: due,
          finished: true,
        }),
      ).toBe(true);
      const after = (await store.get('once'))!;
      expect(after).toMatchObject({ enabled: false, nextRunAt: null, totalRunCount: 1 });
      expect(await store.nextDueAt()).toBeNull();
    });

    it('removes an entry once and reports whether it existed', async () => {
      const store = await open();
      await store.upsert('tick', { task: 't', schedule: '1h' });
      expect(await store.remove('tick', { actor: 'bob' })).toBe(true);
      expect(await store.remove('tick')).toBe(false);
      expect(await store.list()).toEqual([]);
      expect(await store.nextDueAt()).toBeNull();
    });

    it('emits schedule-changed audit events with the actor, the changed fields, before and after', async () => {
      const store = await open();
      const events: BeatEvent[] = [];
      store.onEvent((e) => events.push(e));
      await store.upsert('daily-report', daily, { actor: 'alice' });
      await store.upsert('daily-report', { ...daily, schedule: '0 9 * * *' }, { actor: 'bob' });
      await store.disable('daily-report', { actor: 'carol' });
      await store.remove('daily-report', { actor: 'dave' });
      expect(events.map((e) => e.type === 'schedule-changed' && [e.action, e.actor])).toEqual([
        ['created', 'alice'],
        ['updated', 'bob'],
        ['disabled', 'carol'],
        ['removed', 'dave'],
      ]);
      const update = events[1]!;
      expect(update.type === 'schedule-changed' && update.changes).toEqual(
        expect.arrayContaining(['schedule', 'nextRunAt']),
      );
      expect(update.type === 'schedule-changed' && update.before?.schedule).toEqual({
        kind: 'crontab',
        expression: '0 8 * * *',
      });
      expect(update.type === 'schedule-changed' && update.after?.schedule).toEqual({
        kind: 'crontab',
        expression: '0 9 * * *',
      });
    });

    it('announces every edit to other store clients within a second', async () => {
      const [writer, reader] = [await open(), await open()];
      const seen: string[] = [];
      const stop = await reader.onChange((name) => seen.push(name));
      await writer.upsert('tick', { task: 't', schedule: '1h' });
      await writer.runNow('tick');
      await until(() => seen.length >= 2, 1_000);
      expect(seen).toEqual(['tick', 'tick']);
      await stop();
    });

    it('holds the leader lock for one token at a time, renewed and released only by its holder', async () => {
      const [a, b] = [await open(), await open()];
      expect(await a.acquireLeadership('A', 400)).toBe(true);
      expect(await b.acquireLeadership('B', 400)).toBe(false);
      expect(await a.acquireLeadership('A', 400)).toBe(true);
      expect(await b.releaseLeadership('B')).toBe(false);
      expect(await a.releaseLeadership('A')).toBe(true);
      expect(await b.acquireLeadership('B', 300)).toBe(true);
      await sleep(450);
      // B's TTL ran out without a renewal: the lock is free again.
      expect(await a.acquireLeadership('A', 300)).toBe(true);
      expect(await b.acquireLeadership('B', 300)).toBe(false);
    });
  });
}
