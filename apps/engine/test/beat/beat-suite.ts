// The beat service in one process on any adapter: firing, send-by-name, edits,
// run-now, catch-up after downtime, and leader hand-over between two beats.
// beat.test.ts runs it on memory and Redis, the Cluster file on a Redis Cluster.
import { afterEach, describe, expect, it } from 'vitest';
import type { Beat, BeatEvent, Lovage, ScheduleFiredEvent } from '../../src/index.js';
import type { TaskMessage } from '../../src/task/message.js';
import { harness, sleep, until, type Harness, type Kind } from '../support.js';

/** Every message waiting in a queue (nothing consumes them in these tests). */
async function queued(app: Lovage, queue = 'default'): Promise<TaskMessage[]> {
  const broker = app.broker();
  const { deliveries } = await broker.reserve([queue], 10_000, 60_000);
  await broker.settle(deliveries.map((delivery) => ({ kind: 'ack', delivery })));
  return deliveries.map((d) => JSON.parse(d.body) as TaskMessage);
}

export function beatConformance(kind: Kind): void {
  describe(`beat on the ${kind} transport`, () => {
    let h: Harness;
    const beats: Beat[] = [];
    afterEach(async () => {
      await Promise.all(beats.splice(0).map((b) => b.close()));
      await h.close();
    });

    function start(app: Lovage, events: BeatEvent[] = [], lockTtl = 1_000): Promise<Beat> {
      const beat = app.beat({ lockTtl, onEvent: (e) => events.push(e) });
      beats.push(beat);
      return beat.start().then(() => beat);
    }
    const fired = (events: BeatEvent[]): ScheduleFiredEvent[] =>
      events.filter((e): e is ScheduleFiredEvent => e.type === 'schedule-fired');

    it('sends an unregistered task by name on its interval with the schedule args, kwargs, queue and priority', async () => {
      h = harness(kind);
      const app = h.app({
        beatSchedule: {
          tick: {
            task: 'remote.tick',
            schedule: '200ms',
            args: [1, 'a'],
            kwargs: { dryRun: true },
            queue: 'beat',
            priority: 7,
            expires: '1m',
          },
        },
      });
      const events: BeatEvent[] = [];
      const beat = await start(app, events);
      await until(() => beat.isLeader, 5_000);
      await until(() => fired(events).length >= 4, 5_000);
      const messages = await queued(app, 'beat');
      expect(messages.length).toBeGreaterThanOrEqual(4);
      const first = messages[0]!;
      // kwargs travel as any call's do (the handler's trailing argument; a Celery message's kwargs).
      expect(first).toMatchObject({ task: 'remote.tick', args: [1, 'a'], kwargs: { dryRun: true }, queue: 'beat', priority: 7 });
      const dueAt = Date.parse((first.headers.beat as { dueAt: string }).dueAt);
      expect(first.expires).toBe(dueAt + 60_000);
      // Every due time sits on the 200 ms grid, none twice. A beat held up past a due time sends
      // only the latest (catch-up 'once', the default), so a gap may span several intervals.
      const dues = fired(events).map((e) => Date.parse(e.dueAt));
      for (let i = 1; i < dues.length; i++) {
        const gap = dues[i]! - dues[i - 1]!;
        expect(gap).toBeGreaterThan(0);
        expect(gap % 200).toBe(0);
      }
      expect(new Set(fired(events).map((e) => e.taskId)).size).toBe(fired(events).length);
      const entry = await app.schedules.get('tick');
      expect(entry?.totalRunCount).toBeGreaterThanOrEqual(4);
    });

    it('applies an interval edit and a run-now request within a second, without a restart', async () => {
      h = harness(kind);
      const app = h.app({
        beatSchedule: { report: { task: 'reports.generateDailyReport', schedule: '1h' } },
      });
      const events: BeatEvent[] = [];
      const beat = await start(app, events);
      await until(() => beat.isLeader, 5_000);
      const requested = Date.now();
      await app.schedules.runNow('report', { actor: 'alice' });
      await until(() => fired(events).length === 1, 1_000);
      expect(fired(events)[0]).toMatchObject({ schedule: 'report', manual: true });
      expect(Date.parse(fired(events)[0]!.firedAt) - requested).toBeLessThan(1_000);

      const edited = Date.now();
      await app.schedules.upsert(
        'report',
        { task: 'reports.generateDailyReport', schedule: '300ms' },
        { actor: 'bob' },
      );
      await until(() => fired(events).length >= 2, 1_500);
      expect(Date.parse(fired(events)[1]!.firedAt) - edited).toBeLessThan(1_000);
      expect(fired(events)[1]!.manual).toBe(false);
    });

    it("catches up after downtime: 'all' sends each missed run once, 'once' only the latest", async () => {
      h = harness(kind);
      const schedule = {
        all: { task: 't.all', schedule: '100ms', catchUp: 'all' },
        once: { task: 't.once', schedule: '100ms', catchUp: 'once' },
      };
      const first = await start(h.app({ beatSchedule: schedule }));
      await until(() => first.isLeader, 5_000);
      await first.close();
      const app = h.app({ beatSchedule: schedule });
      await queued(app); // forget what the first beat sent
      await sleep(650);
      const events: BeatEvent[] = [];
      const restarted = Date.now();
      const second = await start(app, events);
      await until(() => second.isLeader, 5_000);
      await until(() => fired(events).some((e) => e.schedule === 'once'), 2_000);
      await until(() => fired(events).filter((e) => e.schedule === 'all').length >= 5, 2_000);
      const all = fired(events)
        .filter((e) => e.schedule === 'all')
        .map((e) => Date.parse(e.dueAt));
      expect(new Set(all).size).toBe(all.length);
      const onceEvents = fired(events).filter((e) => e.schedule === 'once');
      // The catch-up round sent one run for 'once', the latest due (the slot at or just before the restart, where
      // the missed ones are 100 ms apart back to the first beat's close), and recorded the rest as missed.
      expect(onceEvents[0]!.missed).toBeGreaterThanOrEqual(4);
      expect(Date.parse(onceEvents[0]!.dueAt)).toBeGreaterThan(restarted - 150);
    });

    it('elects one leader among two beats and hands over when the leader closes', async () => {
      h = harness(kind);
      const schedule = { tick: { task: 't', schedule: '100ms' } };
      const a = h.app({ beatSchedule: schedule });
      const b = h.app({ beatSchedule: schedule });
      const events: BeatEvent[] = [];
      const beatA = await start(a, events, 1_000);
      const beatB = await start(b, events, 1_000);
      await until(() => beatA.isLeader || beatB.isLeader, 5_000);
      await sleep(300);
      expect([beatA.isLeader, beatB.isLeader].filter(Boolean)).toHaveLength(1);
      const [leader, standby] = beatA.isLeader ? [beatA, beatB] : [beatB, beatA];
      await leader.close();
      // A clean close releases the lock: the standby takes over at its next poll, well within the TTL.
      await until(() => standby.isLeader, 1_000);
      const count = fired(events).length;
      await until(() => fired(events).length >= count + 3, 2_000);
      const dues = fired(events).map((e) => e.dueAt);
      expect(new Set(dues).size).toBe(dues.length);
    });
  });
}
