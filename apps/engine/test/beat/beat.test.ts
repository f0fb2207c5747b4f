// The beat service in one process (beat-suite.ts, on memory and Redis), then
// leadership on real Redis and start-up.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { Beat, BeatEvent } from '../../src/index.js';
import { scheduleKeys } from '../../src/adapters/redis/keys.js';
import { harness, redisUrl, sleep, until, type Harness } from '../support.js';
import { beatConformance } from './beat-suite.js';

beatConformance('memory');
beatConformance('redis');

describe('beat leadership on real Redis', () => {
  let h: Harness;
  const beats: Beat[] = [];
  afterEach(async () => {
    await Promise.all(beats.splice(0).map((b) => b.close()));
    await h.close();
  });

  it('never sends a due time twice while the lock is stolen over and over and two beats overlap as leaders', async () => {
    h = harness('redis');
    const schedule = { tick: { task: 't', schedule: '50ms', catchUp: 'all' } };
    const events: BeatEvent[] = [];
    for (const app of [h.app({ beatSchedule: schedule }), h.app({ beatSchedule: schedule })]) {
      const beat = app.beat({ lockTtl: 300, onEvent: (e) => events.push(e) });
      beats.push(beat);
      await beat.start();
    }
    const client = new Redis(redisUrl);
    let overlaps = 0;
    try {
      // Deleting the lock lets the standby take it while the old leader still
      // believes it leads (until its next renewal): both run their loops.
      const end = Date.now() + 2_500;
      while (Date.now() < end) {
        await client.del(scheduleKeys(h.prefix).lock);
        await sleep(40);
        if (beats.every((b) => b.isLeader)) overlaps += 1;
      }
    } finally {
      client.disconnect();
    }
    expect(overlaps).toBeGreaterThan(0);
    const dues = events.flatMap((e) => (e.type === 'schedule-fired' ? [Date.parse(e.dueAt)] : []));
    expect(dues.length).toBeGreaterThan(20);
    expect(new Set(dues).size).toBe(dues.length);
    const firers = new Set(events.flatMap((e) => (e.type === 'schedule-fired' ? [e.beat] : [])));
    expect(firers.size).toBe(2);
  });

  it('steps down without crashing when its lock is taken, stops firing, and leads again once the lock is free', async () => {
    h = harness('redis');
    const app = h.app({ beatSchedule: { tick: { task: 't', schedule: '100ms' } } });
    const events: BeatEvent[] = [];
    const beat = app.beat({ lockTtl: 900, onEvent: (e) => events.push(e) });
    beats.push(beat);
    await beat.start();
    await until(() => beat.isLeader, 5_000);
    const client = new Redis(redisUrl);
    try {
      // Another holder (a beat that believes the old lock expired) owns the lock now.
      await client.set(scheduleKeys(h.prefix).lock, 'intruder', 'PX', 1_500);
      await until(() => !beat.isLeader, 1_000);
      await sleep(150);
      const firedWhileStandby = events.filter((e) => e.type === 'schedule-fired').length;
      await sleep(500);
      expect(events.filter((e) => e.type === 'schedule-fired').length).toBe(firedWhileStandby);
      await until(() => beat.isLeader, 3_000);
      expect(
        events.filter((e) => e.type === 'beat-leadership').map((e) => e.type === 'beat-leadership' && e.role),
      ).toEqual(['leader', 'standby', 'leader']);
      const dues = events.flatMap((e) => (e.type === 'schedule-fired' ? [e.dueAt] : []));
      expect(new Set(dues).size).toBe(dues.length);
    } finally {
      client.disconnect();
    }
  });
});

describe('beat start-up', () => {
  it('refuses to start on an invalid beatSchedule with a ConfigError naming the field, and writes nothing', async () => {
    const h = harness('memory');
    try {
      const app = h.app({
        beatSchedule: { 'daily-report': { task: 'reports.generateDailyReport', schedule: '0 25 * * *' } },
      });
      const beat = app.beat();
      await expect(beat.start()).rejects.toThrow(/beatSchedule\.daily-report\.schedule/);
      expect(beat.isLeader).toBe(false);
      expect(await app.schedules.list()).toEqual([]);
      await beat.close();
    } finally {
      await h.close();
    }
  });
});
