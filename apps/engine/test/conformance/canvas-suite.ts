// The canvas on each adapter: every shape (chain, group, chord and their
// nestings), failures stopping what follows them, links, workflow headers, and
// app.workflows.retryFailed re-opening a failed chord. Tests wait for states.
import { afterEach, describe, expect, it } from 'vitest';
import {
  AsyncResult,
  ChordError,
  GroupResult,
  TaskFailedError,
  TaskRevokedError,
  chain,
  chord,
  currentTask,
  group,
  type Lovage,
  type LovageEvent,
} from '../../src/index.js';
import { harness, until, type Harness, type Kind } from '../support.js';

class Boom extends Error {
  override name = 'Boom';
}

/** A few tasks every test shares; each records the headers it ran with. */
function canvasTasks(app: Lovage) {
  const headers = new Map<string, Record<string, unknown>>();
  const runs = new Map<string, number>();
  const note = (): void => {
    const ctx = currentTask();
    headers.set(ctx.id, { ...ctx.headers });
    runs.set(ctx.name, (runs.get(ctx.name) ?? 0) + 1);
  };
  const add = app.task('canvas.add', (a: number, b: number) => {
    note();
    return a + b;
  });
  const mul = app.task('canvas.mul', (a: number, b: number) => {
    note();
    return a * b;
  });
  const sum = app.task('canvas.sum', (values: (number | number[])[]) => {
    note();
    return values.flat().reduce((x, y) => x + y, 0);
  });
  const boom = app.task('canvas.boom', (..._args: unknown[]) => {
    note();
    throw new Boom('exploded');
  }, { maxRetries: 0 });
  const errors: { id: string; error: { name: string; message: string } }[] = [];
  const onError = app.task('canvas.onError', (id: string, error: { name: string; message: string }) => {
    note();
    errors.push({ id, error });
  });
  /** Fails unless it is a retried copy (header retriedFrom): a member that a retry fixes. */
  const flaky = app.task('canvas.flaky', (n: number) => {
    note();
    if (currentTask().headers.retriedFrom === undefined) throw new Boom(`flaky ${n}`);
    return n;
  }, { maxRetries: 0 });
  const spawn = app.task('canvas.spawn', async (n: number) => {
    note();
    const child = await add.delay(n, 1);
    return child.id;
  });
  const fanout = app.task('canvas.fanout', async () => {
    note();
    const g = await group([add.s(1, 1), add.s(2, 2)]).applyAsync();
    return g.results.map((r) => (r as AsyncResult).id);
  });
  return { add, mul, sum, boom, onError, flaky, spawn, fanout, headers, runs, errors };
}

export function canvasConformance(kind: Kind): void {
  describe(`canvas on the ${kind} adapter`, () => {
    let h: Harness;
    afterEach(async () => {
      await h.close();
    });
    const setup = () => {
      h = harness(kind);
      const app = h.app();
      return { app, ...canvasTasks(app) };
    };

    it('runs a chain, handing each result to the next; the last result walks back through .parent', async () => {
      const { app, add, mul, headers } = setup();
      await h.worker(app);
      const result = await chain(add.s(1, 2), add.s(3), mul.s(10)).applyAsync();
      expect(result).toBeInstanceOf(AsyncResult);
      expect(await result.get({ timeout: 10_000 })).toBe(60);
      const second = result.parent as AsyncResult<number>;
      const first = second.parent as AsyncResult<number>;
      expect(await second.get({ timeout: 1_000 })).toBe(6);
      expect(await first.get({ timeout: 1_000 })).toBe(3);
      expect(first.parent).toBeUndefined();
      // Workflow headers: one root for all, each step's parent is the previous step.
      expect(headers.get(first.id)).toMatchObject({ rootId: first.id });
      expect(headers.get(second.id)).toMatchObject({ rootId: first.id, parentId: first.id });
      expect(headers.get(result.id)).toMatchObject({ rootId: first.id, parentId: second.id });
    });

    it('stops a chain at a failure: the rest never run and are stored REVOKED naming the failed task', async () => {
      const { app, add, boom, runs } = setup();
      await h.worker(app);
      const last = await chain(add.s(1, 1), boom.s(), add.s(5), add.s(7)).applyAsync();
      const err = await last.get({ timeout: 10_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TaskRevokedError);
      const failed = (last.parent as AsyncResult).parent as AsyncResult;
      expect(await failed.state()).toBe('FAILURE');
      expect((await last.info())?.reason).toBe(`chain stopped: task ${failed.id} (canvas.boom) failed`);
      expect((await (last.parent as AsyncResult).info())?.state).toBe('REVOKED');
      expect(runs.get('canvas.add')).toBe(1);
    });

    it('runs a group: results in order, ready, successful, completedCount, and members carry groupId and groupIndex', async () => {
      const { app, add, headers } = setup();
      await h.worker(app);
      const g = await group([add.s(1, 1), add.s(2, 2), add.s(3, 3)]).applyAsync();
      expect(g).toBeInstanceOf(GroupResult);
      expect(await g.get({ timeout: 10_000 })).toEqual([2, 4, 6]);
      expect(await g.ready()).toBe(true);
      expect(await g.successful()).toBe(true);
      expect(await g.completedCount()).toBe(3);
      const ids = g.results.map((r) => (r as AsyncResult).id);
      ids.forEach((id, i) => expect(headers.get(id)).toMatchObject({ groupId: g.id, groupIndex: i, rootId: ids[0] }));
    });

    it('revokes every member of a group', async () => {
      const { app, add } = setup();
      await h.worker(app);
      const g = await group([add.s(1, 1).set({ countdown: '1h' }), add.s(2, 2).set({ countdown: '1h' })]).applyAsync();
      await g.revoke();
      expect(await g.ready()).toBe(true);
      expect(await g.successful()).toBe(false);
      expect(await g.completedCount()).toBe(0);
      await expect(g.get({ timeout: 1_000 })).rejects.toBeInstanceOf(TaskRevokedError);
    });

    it('runs a chord: the callback gets the member results in order, once, with chordGroupId', async () => {
      const { app, add, sum, headers, runs } = setup();
      await h.worker(app);
      const result = await chord(group([add.s(1, 1), add.s(2, 2), add.s(3, 3)]), sum.s()).applyAsync();
      expect(await result.get({ timeout: 10_000 })).toBe(12);
      const g = result.parent as GroupResult;
      expect(g).toBeInstanceOf(GroupResult);
      expect(headers.get(result.id)).toMatchObject({ chordGroupId: g.id });
      expect(await g.get({ timeout: 1_000 })).toEqual([2, 4, 6]);
      expect(runs.get('canvas.sum')).toBe(1);
    });

    it('counts a redelivered member once: the callback runs once with the right results', async () => {
      const { app, add, sum, runs } = setup();
      let open!: () => void;
      const gateOpen = new Promise<void>((resolve) => (open = resolve));
      const gate = app.task('canvas.gate', async (n: number) => {
        runs.set('canvas.gate', (runs.get('canvas.gate') ?? 0) + 1);
        await gateOpen;
        return n;
      });
      await h.worker(app);
      const result = await chord(group([add.s(1, 1), gate.s(10)]), sum.s()).applyAsync();
      const [first, second] = (result.parent as GroupResult).results as AsyncResult[];
      await until(async () => (await first!.state()) === 'SUCCESS');
      // The same member message delivered again (as after a crash between its join and its ack).
      const redeliver = async (id: string): Promise<void> => {
        const member = (await app.workflowStore().members(first!.id)).find((m) => m.id === id)!;
        await app.broker().enqueue({ id, queue: 'default', priority: 0, body: member.body });
      };
      const settled = async (leased: number): Promise<boolean> => {
        const stats = await app.broker().queueStats('default');
        return stats.ready === 0 && stats.leased === leased;
      };
      // The first member acknowledged (only the gate still leased), then delivered again.
      await until(() => settled(1));
      await redeliver(first!.id);
      await until(() => runs.get('canvas.add') === 2);
      open();
      expect(await result.get({ timeout: 10_000 })).toBe(12);
      await until(() => settled(0));
      await redeliver(second!.id);
      await until(async () => runs.get('canvas.gate') === 2 && (await settled(0)));
      expect(runs.get('canvas.sum')).toBe(1);
    });

    it('fails a chord whose member fails: no callback run, FAILURE with a ChordError naming the member, errbacks get id and error', async () => {
      const { app, add, sum, boom, onError, runs, errors } = setup();
      await h.worker(app);
      const result = await chord(group([add.s(1, 1), boom.s(), add.s(3, 3)]), sum.s().linkError(onError.s())).applyAsync();
      const err = await result.get({ timeout: 10_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TaskFailedError);
      expect((err as TaskFailedError).remoteName).toBe('ChordError');
      const failedMember = (result.parent as GroupResult).results[1] as AsyncResult;
      expect((err as TaskFailedError).remoteMessage).toContain(`chord member ${failedMember.id} (index 1) failed: Boom: exploded`);
      await until(() => errors.length === 1);
      expect(errors[0]).toMatchObject({ id: result.id, error: { name: 'ChordError' } });
      expect(runs.get('canvas.sum')).toBeUndefined();
      expect(new ChordError('m', 1, { name: 'Boom', message: 'x' }).code).toBe('CHORD_ERROR');
    });

    it('puts the workflow links in the events: members, the callback, a failed chord and a stopped chain', async () => {
      h = harness(kind);
      const app = h.app({ eventsFlushInterval: 2 });
      const { add, sum, boom } = canvasTasks(app);
      await h.worker(app);
      const ok = await chord(group([add.s(1, 1), add.s(2, 2)]), sum.s()).applyAsync();
      await ok.get({ timeout: 10_000 });
      const failed = await chord(group([boom.s()]), sum.s()).applyAsync();
      await failed.get({ timeout: 10_000 }).catch(() => undefined);
      const stopped = await chain(boom.s(), add.s(1)).applyAsync();
      await stopped.get({ timeout: 10_000 }).catch(() => undefined);
      const g = ok.parent as GroupResult;
      const [m0, m1] = g.results as AsyncResult[];
      const root = m0!.id;
      const seen: LovageEvent[] = [];
      const signal = AbortSignal.timeout(10_000);
      const has = (type: string, id: string): boolean => seen.some((e) => e.type === type && 'id' in e && e.id === id);
      for await (const batch of app.events.subscribe({ group: 'canvas', consumer: 'c1', fromId: '0', blockMs: 50, signal })) {
        seen.push(...batch.events);
        await batch.ack();
        if (has('task-succeeded', ok.id) && has('task-failed', failed.id) && has('task-revoked', stopped.id)) break;
      }
      const find = (type: string, id: string) => seen.find((e) => e.type === type && 'id' in e && e.id === id);
      expect(find('task-sent', m0!.id)).toMatchObject({ rootId: root, groupId: g.id, groupIndex: 0 });
      expect(find('task-succeeded', m1!.id)).toMatchObject({ rootId: root, groupId: g.id, groupIndex: 1 });
      expect(find('task-sent', ok.id)).toMatchObject({ rootId: root, chordGroupId: g.id });
      expect(find('task-succeeded', ok.id)).toMatchObject({ rootId: root, chordGroupId: g.id, result: '6' });
      expect(find('task-failed', failed.id)).toMatchObject({ chordGroupId: (failed.parent as GroupResult).id, error: { name: 'ChordError' } });
      const failedStep = (stopped.parent as AsyncResult).id;
      expect(find('task-revoked', stopped.id)).toMatchObject({ name: 'canvas.add', rootId: failedStep });
    });

    it('runs linked callbacks with the result and linked errbacks with the failed id and error', async () => {
      const { app, add, mul, boom, onError, errors } = setup();
      await h.worker(app);
      const linked = await add.s(2, 3).link(mul.s(4)).applyAsync();
      expect(await linked.get({ timeout: 10_000 })).toBe(5);
      const failing = await boom.s().linkError(onError.s()).applyAsync();
      await until(() => errors.length === 1);
      expect(errors[0]).toMatchObject({ id: failing.id, error: { name: 'Boom', message: 'exploded' } });
      await until(async () => (await app.asyncResult(failing.id).state()) === 'FAILURE');
    });

    it('links a task sent from inside a handler to it: parentId and rootId', async () => {
      const { app, spawn, fanout, headers } = setup();
      await h.worker(app);
      const parent = await spawn.delay(1);
      const childId = await parent.get({ timeout: 10_000 });
      await app.asyncResult(childId).get({ timeout: 10_000 });
      expect(headers.get(childId)).toMatchObject({ parentId: parent.id, rootId: parent.id });
      // Inside a canvas, the child joins the canvas's workflow.
      const last = await chain(spawn.si(2), spawn.si(3)).applyAsync();
      const grandchild = await last.get({ timeout: 10_000 });
      await app.asyncResult(grandchild).get({ timeout: 10_000 });
      const root = (last.parent as AsyncResult).id;
      expect(headers.get(grandchild)).toMatchObject({ parentId: last.id, rootId: root });
      // A canvas applied inside a handler: its tasks are the handler's children, in its workflow.
      const fan = await fanout.delay();
      const memberIds = await fan.get({ timeout: 10_000 });
      await until(() => memberIds.every((id) => headers.has(id)));
      for (const id of memberIds) expect(headers.get(id)).toMatchObject({ parentId: fan.id, rootId: fan.id });
    });

    it('nests: chains inside a group, a group inside a chain (becoming a chord), chords inside a chord', async () => {
      const { app, add, mul, sum } = setup();
      await h.worker(app, { concurrency: 4 });
      // Chains inside a group: each member is a chain's last result.
      const g = await group([chain(add.s(1, 1), mul.s(10)), chain(add.s(2, 2), mul.s(10))]).applyAsync();
      expect(await g.get({ timeout: 10_000 })).toEqual([20, 40]);
      // A group followed by a task in a chain is a chord; the group's members get the previous result.
      const c = await chain(add.s(1, 2), group([add.s(10), add.s(20)]), sum.s(), mul.s(2)).applyAsync();
      expect(await c.get({ timeout: 10_000 })).toBe(2 * (13 + 23));
      // A group at the end of a chain.
      const tail = await chain(add.s(1, 1), group([add.s(1), mul.s(3)])).applyAsync();
      expect(tail).toBeInstanceOf(GroupResult);
      expect(await tail.get({ timeout: 10_000 })).toEqual([3, 6]);
      // Chords inside a chord, and a chain ending in a chord inside it.
      const inner = (n: number) => chord(group([add.s(n, 1), add.s(n, 2)]), sum.s());
      const outer = await chord(group([inner(1), inner(10), chain(add.s(0, 1), chord(group([add.s(1), add.s(2)]), sum.s()))]), sum.s()).applyAsync();
      expect(await outer.get({ timeout: 10_000 })).toBe(5 + 23 + 5);
      // A group inside a chord's header, and a chord whose body starts with a group.
      const groupInChord = await chord(group([group([add.s(1, 1), add.s(2, 2)]), add.s(3, 3)]), sum.s()).applyAsync();
      expect(await groupInChord.get({ timeout: 10_000 })).toBe(2 + 4 + 6);
      const bodyGroup = await chain(group([add.s(1, 1), add.s(2, 2)]), group([sum.s(), sum.s()])).applyAsync();
      expect(await bodyGroup.get({ timeout: 10_000 })).toEqual([6, 6]);
      // An empty chord header: the callback runs at once with [].
      const empty = await chord(group([]), sum.s()).applyAsync();
      expect(await empty.get({ timeout: 10_000 })).toBe(0);
    });

    it('retryFailed re-sends failed chord members with their headers and the callback then runs once', async () => {
      const { app, add, sum, flaky, headers, runs } = setup();
      await h.worker(app);
      const result = await chord(group([add.s(1, 1), flaky.s(5), flaky.s(7)]), sum.s()).applyAsync();
      await expect(result.get({ timeout: 10_000 })).rejects.toBeInstanceOf(TaskFailedError);
      const members = (result.parent as GroupResult).results as AsyncResult[];
      // Both failures are stored before retrying (the chord failed at the first).
      await until(async () => (await members[2]!.state()) === 'FAILURE' && (await members[1]!.state()) === 'FAILURE');
      const { retried } = await app.workflows.retryFailed(members[1]!.id);
      expect(retried.map((r) => r.from).sort()).toEqual([members[1]!.id, members[2]!.id].sort());
      await until(async () => (await result.state()) === 'SUCCESS');
      expect(await result.get({ timeout: 1_000 })).toBe(2 + 5 + 7);
      for (const { from, to } of retried) {
        const was = headers.get(from)!;
        expect(headers.get(to)).toMatchObject({ retriedFrom: from, groupId: was.groupId, groupIndex: was.groupIndex, rootId: was.rootId });
      }
      expect(runs.get('canvas.sum')).toBe(1);
      // Nothing failed is left to retry; retrying by the root id finds the same workflow.
      expect((await app.workflows.retryFailed(members[0]!.id)).retried).toEqual([]);
      expect(runs.get('canvas.sum')).toBe(1);
    });

    it('retryFailed resumes a stopped chain from the failed step', async () => {
      const { app, add, flaky } = setup();
      await h.worker(app);
      const last = await chain(add.s(1, 1), flaky.s(), add.s(100)).applyAsync();
      await expect(last.get({ timeout: 10_000 })).rejects.toBeInstanceOf(TaskRevokedError);
      const { retried } = await app.workflows.retryFailed((last.parent as AsyncResult).id);
      expect(retried).toHaveLength(1);
      await until(async () => (await last.state()) === 'SUCCESS');
      // flaky returns its first argument: the previous step's result (2), then add(2, 100).
      expect(await last.get({ timeout: 1_000 })).toBe(102);
    });
  });
}
