import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { crontab } from './crontab.js';
import {
  CATCH_UP_ALL_LIMIT,
  nextRunAfter,
  nextRuns,
  occurrencesToFire,
  resolveBeatSchedule,
  resolveSchedule,
  type ResolvedSchedule,
} from './schedule.js';

const at = (iso: string): Date => new Date(iso);
const iso = (dates: Date[]): string[] => dates.map((d) => d.toISOString());

describe('resolveSchedule', () => {
  it('normalizes the seed examples to a JSON-safe form', () => {
    const [daily, cleanup] = resolveBeatSchedule({
      'daily-report': { task: 'reports.generateDailyReport', schedule: crontab({ hour: 8, minute: 0 }) },
      'cleanup-every-hour': { task: 'maintenance.cleanupTempFiles', schedule: '1h' },
    });
    expect(daily).toEqual({
      name: 'daily-report',
      task: 'reports.generateDailyReport',
      schedule: { kind: 'crontab', expression: '0 8 * * *' },
      args: [],
      kwargs: null,
      queue: null,
      priority: null,
      expiresMs: null,
      enabled: true,
      oneOff: false,
      startAt: null,
      endAt: null,
      description: null,
      timezone: 'UTC',
      catchUp: 'once',
    });
    expect(cleanup?.schedule).toEqual({ kind: 'interval', everyMs: 3_600_000 });
    expect(JSON.parse(JSON.stringify(daily))).toEqual(daily);
  });

  it('reads intervals, cron strings and clocked instants, and all the options', () => {
    const resolved = resolveSchedule('weekly', {
      task: 'reports.weekly',
      schedule: '0 9 * * mon',
      args: [1, 'a'],
      kwargs: { dryRun: true },
      queue: 'reports',
      priority: 7,
      expires: '10m',
      enabled: false,
      oneOff: true,
      startAt: '2026-12-01T00:00:00Z',
      endAt: new Date('2027-01-01T00:00:00Z'),
      description: 'Weekly summary',
      timezone: 'europe/paris',
      catchUp: 'all',
    });
    expect(resolved).toMatchObject({
      schedule: { kind: 'crontab', expression: '0 9 * * mon' },
      args: [1, 'a'],
      kwargs: { dryRun: true },
      queue: 'reports',
      priority: 7,
      expiresMs: 600_000,
      enabled: false,
      oneOff: true,
      startAt: '2026-12-01T00:00:00.000Z',
      endAt: '2027-01-01T00:00:00.000Z',
      timezone: 'Europe/Paris',
      catchUp: 'all',
    });
    expect(resolveSchedule('a', { task: 't', schedule: 90_000 }).schedule).toEqual({
      kind: 'interval',
      everyMs: 90_000,
    });
    expect(resolveSchedule('b', { task: 't', schedule: '@daily' }).schedule).toEqual({
      kind: 'crontab',
      expression: '0 0 * * *',
    });
    expect(
      resolveSchedule('c', { task: 't', schedule: { clocked: '2026-12-01T09:00:00Z' } }).schedule,
    ).toEqual({
      kind: 'clocked',
      at: '2026-12-01T09:00:00.000Z',
    });
  });

  it('accepts its own output, so the store and the dashboard can re-validate it', () => {
    const once = resolveSchedule('r', {
      task: 't',
      schedule: '*/5 * * * *',
      timezone: 'Asia/Tokyo',
      expires: 1000,
    });
    expect(resolveSchedule('r', JSON.parse(JSON.stringify(once)))).toEqual(once);
    const clocked = resolveSchedule('c', {
      task: 't',
      schedule: { clocked: new Date('2026-12-01T09:00:00Z') },
    });
    expect(resolveSchedule('c', clocked)).toEqual(clocked);
  });

  it('rejects bad input with a ConfigError naming the field', () => {
    const bad =
      (input: unknown): (() => unknown) =>
      () =>
        resolveSchedule('job', input);
    expect(bad({ task: 't', schedule: crontab({ hour: 8 }), timezone: 'Mars/Base' })).toThrow(ConfigError);
    expect(bad({ task: 't', schedule: '1h', timezone: 'Mars/Base' })).toThrow(
      /^beatSchedule.job.timezone: "Mars\/Base" is not a known IANA time zone/,
    );
    expect(bad({ task: 't', schedule: '0 25 * * *' })).toThrow(
      'beatSchedule.job.schedule: crontab.hour: 25 is out of range 0-23',
    );
    expect(bad({ task: 't', schedule: '5 minutes' })).toThrow(
      /beatSchedule.job.schedule: crontab: "5 minutes" must have five fields/,
    );
    expect(bad({ task: 't', schedule: '5min' })).toThrow(
      /beatSchedule.job.schedule must be milliseconds or a string like/,
    );
    expect(bad({ task: 't', schedule: 0 })).toThrow(/interval must be longer than 0ms/);
    expect(bad({ task: 't', schedule: { every: '1h', crontab: '0 8 * * *' } })).toThrow(
      'beatSchedule.job.schedule: give exactly one of interval, crontab or clocked, got every and crontab',
    );
    expect(bad({ task: 't', schedule: '1h', crontab: '0 8 * * *' })).toThrow(
      /beatSchedule.job.crontab: put the interval, crontab or clocked time in `schedule`/,
    );
    expect(bad({ task: 't' })).toThrow('beatSchedule.job.schedule is required');
    expect(bad({ schedule: '1h' })).toThrow(/beatSchedule.job.task must be the registered task name/);
    expect(bad({ task: 't', schedule: '1h', sheduleTypo: 1 })).toThrow(
      /beatSchedule.job.sheduleTypo: unknown option/,
    );
    expect(bad({ task: 't', schedule: '1h', priority: 11 })).toThrow(
      /beatSchedule.job.priority must be an integer 0-9/,
    );
    expect(bad({ task: 't', schedule: '1h', args: 'x' })).toThrow(/beatSchedule.job.args must be an array/);
    expect(bad({ task: 't', schedule: '1h', catchUp: 'sometimes' })).toThrow(
      /beatSchedule.job.catchUp must be one of 'once', 'skip', 'all'/,
    );
    expect(bad({ task: 't', schedule: '1h', startAt: 'soon' })).toThrow(
      /beatSchedule.job.startAt must be a Date or an ISO 8601 string/,
    );
    expect(bad({ task: 't', schedule: '1h', startAt: '2026-02-01', endAt: '2026-01-01' })).toThrow(
      /beatSchedule.job.endAt .* must be after startAt/,
    );
    expect(bad({ task: 't', schedule: { clocked: '2027-01-01' }, endAt: '2026-06-01' })).toThrow(
      /outside startAt\/endAt/,
    );
    expect(bad({ task: 't', schedule: '1h', expires: '10 mins' })).toThrow(/beatSchedule.job.expires/);
    expect(bad({ task: 't', schedule: '1h', enabled: 'yes' })).toThrow(
      /beatSchedule.job.enabled must be true or false/,
    );
  });
});

const schedule = (input: Record<string, unknown>): ResolvedSchedule =>
  resolveSchedule('s', { task: 't', ...input });

describe('nextRunAfter and nextRuns', () => {
  it('runs crontabs in their zone', () => {
    const daily = schedule({ schedule: crontab({ hour: 8, minute: 0 }), timezone: 'Europe/Paris' });
    expect(iso(nextRuns(daily, at('2026-11-24T07:30:00Z'), 3))).toEqual([
      '2026-11-25T07:00:00.000Z',
      '2026-11-26T07:00:00.000Z',
      '2026-11-27T07:00:00.000Z',
    ]);
  });

  it('runs intervals from the last due time, or on the startAt grid when there is one', () => {
    const hourly = schedule({ schedule: '1h' });
    expect(nextRunAfter(hourly, at('2026-11-24T10:17:00Z'))?.toISOString()).toBe('2026-11-24T11:17:00.000Z');
    const anchored = schedule({ schedule: '90s', startAt: '2026-11-24T10:00:00Z' });
    expect(nextRunAfter(anchored, at('2026-11-24T09:00:00Z'))?.toISOString()).toBe(
      '2026-11-24T10:00:00.000Z',
    );
    expect(nextRunAfter(anchored, at('2026-11-24T10:00:00Z'))?.toISOString()).toBe(
      '2026-11-24T10:01:30.000Z',
    );
    expect(nextRunAfter(anchored, at('2026-11-24T10:02:00Z'))?.toISOString()).toBe(
      '2026-11-24T10:03:00.000Z',
    );
  });

  it('keeps runs inside startAt and endAt', () => {
    const windowed = schedule({
      schedule: '0 * * * *',
      startAt: '2026-11-24T12:00:00Z',
      endAt: '2026-11-24T14:00:00Z',
    });
    expect(iso(nextRuns(windowed, at('2026-11-24T00:00:00Z'), 5))).toEqual([
      '2026-11-24T12:00:00.000Z',
      '2026-11-24T13:00:00.000Z',
      '2026-11-24T14:00:00.000Z',
    ]);
  });

  it('runs a clocked schedule once, and a oneOff schedule previews one run', () => {
    const clocked = schedule({ schedule: { clocked: '2026-12-01T09:00:00Z' } });
    expect(iso(nextRuns(clocked, at('2026-11-24T00:00:00Z'), 5))).toEqual(['2026-12-01T09:00:00.000Z']);
    expect(nextRunAfter(clocked, at('2026-12-01T09:00:00Z'))).toBeNull();
    expect(nextRuns(schedule({ schedule: '1h', oneOff: true }), at('2026-11-24T00:00:00Z'), 5)).toHaveLength(
      1,
    );
  });
});

describe('occurrencesToFire', () => {
  const every15 = (catchUp: string, extra: Record<string, unknown> = {}): ResolvedSchedule =>
    schedule({ schedule: '*/15 * * * *', catchUp, ...extra });

  it('fires the one due run when beat is on time, whatever the policy', () => {
    for (const policy of ['once', 'skip', 'all']) {
      const result = occurrencesToFire(
        every15(policy),
        at('2026-11-24T10:00:00Z'),
        at('2026-11-24T10:15:00.400Z'),
      );
      expect(iso(result.fire)).toEqual(['2026-11-24T10:15:00.000Z']);
      expect(result).toMatchObject({
        missed: 0,
        lastDue: at('2026-11-24T10:15:00Z'),
        next: at('2026-11-24T10:30:00Z'),
        finished: false,
      });
    }
  });

  it('fires nothing before the next due time', () => {
    const result = occurrencesToFire(every15('once'), at('2026-11-24T10:00:00Z'), at('2026-11-24T10:14:59Z'));
    expect(result).toMatchObject({
      fire: [],
      missed: 0,
      lastDue: at('2026-11-24T10:00:00Z'),
      next: at('2026-11-24T10:15:00Z'),
    });
  });

  it("'once' fires the most recent missed run after downtime, like Celery", () => {
    const result = occurrencesToFire(every15('once'), at('2026-11-24T10:00:00Z'), at('2026-11-24T11:05:00Z'));
    expect(iso(result.fire)).toEqual(['2026-11-24T11:00:00.000Z']);
    expect(result.missed).toBe(3);
    expect(result.lastDue.toISOString()).toBe('2026-11-24T11:00:00.000Z');
  });

  it("'skip' fires nothing for downtime, only a run that is on time", () => {
    const result = occurrencesToFire(every15('skip'), at('2026-11-24T10:00:00Z'), at('2026-11-24T11:05:00Z'));
    expect(result.fire).toEqual([]);
    expect(result.missed).toBe(4);
    expect(result.lastDue.toISOString()).toBe('2026-11-24T11:00:00.000Z');
  });

  it("'all' fires every missed run oldest first, bounded to the most recent ones", () => {
    const result = occurrencesToFire(every15('all'), at('2026-11-24T10:00:00Z'), at('2026-11-24T11:05:00Z'));
    expect(iso(result.fire)).toEqual([
      '2026-11-24T10:15:00.000Z',
      '2026-11-24T10:30:00.000Z',
      '2026-11-24T10:45:00.000Z',
      '2026-11-24T11:00:00.000Z',
    ]);
    const long = occurrencesToFire(every15('all'), at('2026-11-20T00:00:00Z'), at('2026-11-24T00:00:00Z'));
    expect(long.fire).toHaveLength(CATCH_UP_ALL_LIMIT);
    expect(long.fire.at(-1)?.toISOString()).toBe('2026-11-24T00:00:00.000Z');
    expect(long.missed).toBe(4 * 96 - CATCH_UP_ALL_LIMIT);
  });

  it('bounds catching up an interval over a long downtime without walking every run', () => {
    const fast = schedule({ schedule: '1s', catchUp: 'all' });
    const result = occurrencesToFire(fast, at('2026-01-01T00:00:00Z'), at('2026-11-24T00:00:00Z'));
    expect(result.fire).toHaveLength(CATCH_UP_ALL_LIMIT);
    expect(result.lastDue.toISOString()).toBe('2026-11-24T00:00:00.000Z');
    expect(result.missed + result.fire.length).toBe(
      (Date.parse('2026-11-24') - Date.parse('2026-01-01')) / 1000,
    );
  });

  it('catches up a crontab over months of downtime without walking every run, estimating the missed count', () => {
    const minutely = schedule({ schedule: '* * * * *', timezone: 'Europe/London', catchUp: 'all' });
    const result = occurrencesToFire(minutely, at('2026-01-01T00:00:00Z'), at('2026-11-08T00:00:00Z'));
    expect(result.fire).toHaveLength(CATCH_UP_ALL_LIMIT);
    expect(result.fire.at(-1)?.toISOString()).toBe('2026-11-08T00:00:00.000Z');
    expect(result.fire[0]?.toISOString()).toBe('2026-11-07T22:21:00.000Z');
    expect(result.missedExact).toBe(false);
    expect(Math.abs(result.missed + result.fire.length - 311 * 1440)).toBeLessThan(10);
  });

  it('does not send runs whose task would already have expired', () => {
    const result = occurrencesToFire(
      every15('all', { expires: '25m' }),
      at('2026-11-24T10:00:00Z'),
      at('2026-11-24T11:05:00Z'),
    );
    expect(iso(result.fire)).toEqual(['2026-11-24T10:45:00.000Z', '2026-11-24T11:00:00.000Z']);
    expect(result.missed).toBe(2);
  });

  it('fires nothing for a disabled schedule but still moves lastDue on', () => {
    const result = occurrencesToFire(
      every15('once', { enabled: false }),
      at('2026-11-24T10:00:00Z'),
      at('2026-11-24T10:31:00Z'),
    );
    expect(result.fire).toEqual([]);
    expect(result.lastDue.toISOString()).toBe('2026-11-24T10:30:00.000Z');
  });

  it('finishes a clocked schedule after its run, and a oneOff after its first', () => {
    const clocked = schedule({ schedule: { clocked: '2026-12-01T09:00:00Z' } });
    expect(occurrencesToFire(clocked, at('2026-11-30T00:00:00Z'), at('2026-12-01T08:59:59Z'))).toMatchObject({
      fire: [],
      finished: false,
    });
    const fired = occurrencesToFire(clocked, at('2026-11-30T00:00:00Z'), at('2026-12-03T00:00:00Z'));
    expect(iso(fired.fire)).toEqual(['2026-12-01T09:00:00.000Z']);
    expect(fired).toMatchObject({ next: null, finished: true });
    const oneOff = occurrencesToFire(
      every15('all', { oneOff: true }),
      at('2026-11-24T10:00:00Z'),
      at('2026-11-24T11:05:00Z'),
    );
    expect(iso(oneOff.fire)).toEqual(['2026-11-24T10:15:00.000Z']);
    expect(oneOff.finished).toBe(true);
  });

  it('fires a fixed-time crontab exactly once over a DST change, asked every minute', () => {
    const s = schedule({ schedule: '30 1 * * *', timezone: 'America/New_York' });
    const fired: string[] = [];
    let lastDue = at('2026-10-31T12:00:00Z');
    for (let t = Date.parse('2026-11-01T04:00:00Z'); t <= Date.parse('2026-11-01T08:00:00Z'); t += 60_000) {
      const result = occurrencesToFire(s, lastDue, new Date(t));
      fired.push(...iso(result.fire));
      lastDue = result.lastDue;
    }
    expect(fired).toEqual(['2026-11-01T05:30:00.000Z']);
  });
});
