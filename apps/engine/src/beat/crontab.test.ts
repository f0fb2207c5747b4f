import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { type Crontab, crontab, parseCrontab } from './crontab.js';
import { localMsOf, offsetMsAt } from './timezone.js';

const next = (expression: string, after: string, timeZone = 'UTC'): string =>
  parseCrontab(expression).next(new Date(after), timeZone).toISOString();

/** The first `count` runs after `after`, as ISO strings. */
function runs(expression: string, after: string, timeZone: string, count: number): string[] {
  const cron = parseCrontab(expression);
  const out: string[] = [];
  let cursor = new Date(after);
  for (let i = 0; i < count; i++) {
    cursor = cron.next(cursor, timeZone);
    out.push(cursor.toISOString());
  }
  return out;
}

describe('parseCrontab and crontab()', () => {
  it('defaults every field to * like Celery', () => {
    expect(crontab().toString()).toBe('* * * * *');
    expect(crontab({ hour: 8, minute: 0 }).toString()).toBe('0 8 * * *');
    expect(crontab({ minute: [0, 30], dayOfWeek: 'mon-fri', monthOfYear: 'jan,jul' }).toString()).toBe(
      '0,30 * * jan,jul mon-fri',
    );
    expect(crontab('0 8 * * 1-5').toString()).toBe('0 8 * * 1-5');
  });

  it('expands steps, ranges, lists and names into sets', () => {
    const cron = parseCrontab('*/15 9-17 1,15,L jan,jul mon-fri');
    expect(cron.minutes).toEqual([0, 15, 30, 45]);
    expect(cron.hours).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect(cron.daysOfMonth).toEqual([1, 15]);
    expect(cron.lastDayOfMonth).toBe(true);
    expect(cron.monthsOfYear).toEqual([1, 7]);
    expect(cron.daysOfWeek).toEqual([1, 2, 3, 4, 5]);
    expect(parseCrontab('10-50/20 */6 * * *').minutes).toEqual([10, 30, 50]);
    expect(parseCrontab('5/20 * * * *').minutes).toEqual([5, 25, 45]);
  });

  it('treats dayOfWeek 0 and 7 both as Sunday, and sun at the end of a range as 7', () => {
    expect(parseCrontab('0 0 * * 0').daysOfWeek).toEqual([0]);
    expect(parseCrontab('0 0 * * 7').daysOfWeek).toEqual([0]);
    expect(parseCrontab('0 0 * * 5-7').daysOfWeek).toEqual([0, 5, 6]);
    expect(parseCrontab('0 0 * * fri-sun').daysOfWeek).toEqual([0, 5, 6]);
    expect(next('0 12 * * 7', '2026-11-24T00:00:00Z')).toBe('2026-11-29T12:00:00.000Z');
  });

  it('accepts the @daily family of macros', () => {
    expect(parseCrontab('@daily').toString()).toBe('0 0 * * *');
    expect(parseCrontab('@hourly').toString()).toBe('0 * * * *');
    expect(parseCrontab('@weekly').toString()).toBe('0 0 * * 0');
  });

  it('round-trips through toString and JSON', () => {
    for (const expression of ['*/15 9-17 1,15,L jan,jul mon-fri', '0 8 * * *', '30 2 29 2 *', '0 0 L * *']) {
      const cron = parseCrontab(expression);
      const again = parseCrontab(cron.toString());
      expect(again.minutes).toEqual(cron.minutes);
      expect(again.daysOfWeek).toEqual(cron.daysOfWeek);
      expect(JSON.stringify({ cron })).toBe(JSON.stringify({ cron: cron.toString() }));
    }
  });

  it('rejects bad fields with a ConfigError naming the field and value', () => {
    expect(() => crontab({ hour: 25 })).toThrow(ConfigError);
    expect(() => crontab({ hour: 25 })).toThrow('crontab.hour: 25 is out of range 0-23');
    expect(() => parseCrontab('60 * * * *')).toThrow('crontab.minute: 60 is out of range 0-59');
    expect(() => parseCrontab('0 0 0 * *')).toThrow('crontab.dayOfMonth: 0 is out of range 1-31');
    expect(() => parseCrontab('0 0 * 13 *')).toThrow('crontab.monthOfYear: 13 is out of range 1-12');
    expect(() => parseCrontab('0 0 * * 8')).toThrow('crontab.dayOfWeek: 8 is out of range 0-7');
    expect(() => parseCrontab('0 0 * * funday')).toThrow(/crontab.dayOfWeek: "funday" is not a number/);
    expect(() => parseCrontab('*/0 * * * *')).toThrow(/crontab.minute: step "0"/);
    expect(() => parseCrontab('0 5-1 * * *')).toThrow(/crontab.hour: range "5-1" runs backwards/);
    expect(() => parseCrontab('0 L * * *')).toThrow(/crontab.hour: 'L'/);
    expect(() => parseCrontab('0 8 * *')).toThrow(/five fields/);
    expect(() => parseCrontab('@sometimes')).toThrow(/unknown macro/);
    expect(() => crontab({ minute: 1.5 })).toThrow('crontab.minute: 1.5 is not an integer');
    expect(() => crontab({ days: 1 } as never)).toThrow(/crontab.days: unknown field/);
  });

  it('rejects a crontab that can never run', () => {
    expect(() => parseCrontab('0 0 30 2 *')).toThrow(/crontab.dayOfMonth: 30 never occurs in monthOfYear 2/);
    expect(() => parseCrontab('0 0 31 4,6,9,11 *')).toThrow(ConfigError);
    // Either-matches rule: a weekday alone makes it runnable.
    expect(() => parseCrontab('0 0 30 2 mon')).not.toThrow();
    expect(() => parseCrontab('0 0 29 2 *')).not.toThrow();
  });
});

describe('Crontab.next in UTC', () => {
  const table: [expression: string, after: string, expected: string][] = [
    ['0 8 * * *', '2026-11-24T07:59:59Z', '2026-11-24T08:00:00.000Z'],
    ['0 8 * * *', '2026-11-24T08:00:00Z', '2026-11-25T08:00:00.000Z'],
    ['0 8 * * *', '2026-11-24T08:00:00.001Z', '2026-11-25T08:00:00.000Z'],
    ['*/15 * * * *', '2026-11-24T10:07:00Z', '2026-11-24T10:15:00.000Z'],
    ['*/15 * * * *', '2026-11-24T23:59:00Z', '2026-11-25T00:00:00.000Z'],
    ['0 9 * * 1-5', '2026-11-27T10:00:00Z', '2026-11-30T09:00:00.000Z'], // Friday → Monday
    ['0 9 * * mon-fri', '2026-11-28T00:00:00Z', '2026-11-30T09:00:00.000Z'],
    ['0 0 1 jan,jul *', '2026-02-01T00:00:00Z', '2026-07-01T00:00:00.000Z'],
    ['0 0 1 jan,jul *', '2026-07-01T00:00:00Z', '2027-01-01T00:00:00.000Z'],
    ['59 23 31 12 *', '2026-12-31T23:59:00Z', '2027-12-31T23:59:00.000Z'],
    ['0 0 29 2 *', '2026-03-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['0 0 29 2 *', '2096-03-01T00:00:00Z', '2104-02-29T00:00:00.000Z'], // 2100 is not a leap year
    ['0 0 31 * *', '2026-04-01T00:00:00Z', '2026-05-31T00:00:00.000Z'], // April has no 31st
    // Last day of the month.
    ['0 0 L * *', '2026-01-31T00:00:00Z', '2026-02-28T00:00:00.000Z'],
    ['0 0 L * *', '2028-02-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['0 0 L * *', '2026-04-15T12:00:00Z', '2026-04-30T00:00:00.000Z'],
    ['30 18 15,L * *', '2026-06-16T00:00:00Z', '2026-06-30T18:30:00.000Z'],
    // dayOfMonth and dayOfWeek both restricted: either matches (Vixie cron).
    ['0 9 13 * fri', '2026-11-01T00:00:00Z', '2026-11-06T09:00:00.000Z'], // a Friday, not the 13th
    ['0 9 13 * fri', '2026-11-07T00:00:00Z', '2026-11-13T09:00:00.000Z'], // Friday the 13th
    ['0 9 1 * mon', '2026-11-24T00:00:00Z', '2026-11-30T09:00:00.000Z'], // Monday before the 1st
    ['0 9 1 * mon', '2026-11-30T10:00:00Z', '2026-12-01T09:00:00.000Z'], // the 1st, a Tuesday
    // A day field starting with '*' does not restrict, so both must match.
    ['0 9 */2 * mon', '2026-11-24T00:00:00Z', '2026-12-07T09:00:00.000Z'], // odd day AND Monday
  ];
  it.each(table)('%s after %s is %s', (expression, after, expected) => {
    expect(next(expression, after)).toBe(expected);
  });
});

describe('Crontab.next across daylight saving time', () => {
  // Europe/London: 2026-03-29 01:00 GMT → 02:00 BST; 2026-10-25 02:00 BST → 01:00 GMT.
  // America/New_York: 2026-03-08 02:00 EST → 03:00 EDT; 2026-11-01 02:00 EDT → 01:00 EST.
  const table: [expression: string, timeZone: string, after: string, expected: string[]][] = [
    // Spring forward: 01:30 does not exist in London: one run, at the jump (02:00 BST).
    [
      '30 1 * * *',
      'Europe/London',
      '2026-03-28T12:00:00Z',
      ['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'],
    ],
    // 02:30 does not exist in New York: one run at 03:00 EDT.
    [
      '30 2 * * *',
      'America/New_York',
      '2026-03-07T12:00:00Z',
      ['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z'],
    ],
    // A run at 03:00 EDT and a skipped 02:30 land on the same instant: run once.
    [
      '0,30 2,3 * * *',
      'America/New_York',
      '2026-03-08T06:00:00Z',
      ['2026-03-08T07:00:00.000Z', '2026-03-08T07:30:00.000Z', '2026-03-09T06:00:00.000Z'],
    ],
    // Fall back: 01:30 happens twice in New York: run once, at the first (EDT).
    [
      '30 1 * * *',
      'America/New_York',
      '2026-10-31T12:00:00Z',
      ['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z'],
    ],
    [
      '30 1 * * *',
      'Europe/London',
      '2026-10-24T12:00:00Z',
      ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'],
    ],
    // Asking from inside the repeated hour does not repeat the run.
    ['30 1 * * *', 'America/New_York', '2026-11-01T05:45:00Z', ['2026-11-02T06:30:00.000Z']],
    // Every-hour crontabs follow elapsed time: no run for the skipped hour...
    [
      '30 * * * *',
      'America/New_York',
      '2026-03-08T06:00:00Z',
      ['2026-03-08T06:30:00.000Z', '2026-03-08T07:30:00.000Z', '2026-03-08T08:30:00.000Z'],
    ],
    // ...and both runs in the repeated hour, one hour apart.
    [
      '30 * * * *',
      'America/New_York',
      '2026-11-01T04:00:00Z',
      [
        '2026-11-01T04:30:00.000Z',
        '2026-11-01T05:30:00.000Z',
        '2026-11-01T06:30:00.000Z',
        '2026-11-01T07:30:00.000Z',
      ],
    ],
    [
      '*/30 * * * *',
      'Europe/London',
      '2026-10-25T00:00:00Z',
      [
        '2026-10-25T00:30:00.000Z',
        '2026-10-25T01:00:00.000Z',
        '2026-10-25T01:30:00.000Z',
        '2026-10-25T02:00:00.000Z',
      ],
    ],
    // Daily at 08:00 local keeps 08:00 local across the change.
    [
      '0 8 * * *',
      'Europe/London',
      '2026-03-28T09:00:00Z',
      ['2026-03-29T07:00:00.000Z', '2026-03-30T07:00:00.000Z'],
    ],
    [
      '0 8 * * *',
      'America/New_York',
      '2026-10-31T13:00:00Z',
      ['2026-11-01T13:00:00.000Z', '2026-11-02T13:00:00.000Z'],
    ],
    // Lord Howe moves by 30 minutes: 02:15 does not exist on 2026-10-04.
    [
      '15 2 * * *',
      'Australia/Lord_Howe',
      '2026-10-03T00:00:00Z',
      ['2026-10-03T15:30:00.000Z', '2026-10-04T15:15:00.000Z'],
    ],
  ];
  it.each(table)('%s in %s after %s', (expression, timeZone, after, expected) => {
    expect(runs(expression, after, timeZone, expected.length)).toEqual(expected);
  });

  it('runs a fixed-hour crontab once across the fall-back hour even when asked every minute', () => {
    const cron = parseCrontab('*/10 1 * * *');
    const fired = new Set<string>();
    for (let t = Date.parse('2026-11-01T04:00:00Z'); t < Date.parse('2026-11-01T08:00:00Z'); t += 60_000) {
      fired.add(cron.next(new Date(t), 'America/New_York').toISOString());
    }
    // 01:00-01:50 EDT only (05:00-05:50 UTC), then the next day.
    expect([...fired].sort()).toEqual([
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T05:10:00.000Z',
      '2026-11-01T05:20:00.000Z',
      '2026-11-01T05:30:00.000Z',
      '2026-11-01T05:40:00.000Z',
      '2026-11-01T05:50:00.000Z',
      '2026-11-02T06:00:00.000Z',
    ]);
  });
});

// --- Property tests -------------------------------------------------------

/** mulberry32: a small seeded generator, so failures reproduce. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const ZONES = [
  'UTC',
  'Europe/London',
  'America/New_York',
  'Europe/Paris',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  'Asia/Kolkata',
  'Pacific/Chatham',
  'America/Sao_Paulo',
  'America/Santiago',
  'Asia/Tehran',
  'Pacific/Apia',
];

function randomField(rand: () => number, min: number, max: number, extra: string[] = []): string {
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = rand();
  if (pick < 0.3) return '*';
  if (pick < 0.45) return `*/${int(2, Math.max(2, Math.floor((max - min) / 2)))}`;
  if (pick < 0.65) return String(int(min, max));
  if (pick < 0.8) {
    const a = int(min, max);
    return `${a}-${int(a, max)}`;
  }
  if (pick < 0.9 && extra.length > 0) return extra[int(0, extra.length - 1)] ?? '*';
  return [int(min, max), int(min, max), int(min, max)].join(',');
}

function randomExpression(rand: () => number): string {
  return [
    randomField(rand, 0, 59),
    randomField(rand, 0, 23),
    randomField(rand, 1, 28, ['L', '1,L', '31']),
    randomField(rand, 1, 12, ['jan,jul', 'mar-oct']),
    randomField(rand, 0, 7, ['mon-fri', 'sat,sun']),
  ].join(' ');
}

function randomCrontab(rand: () => number): Crontab {
  for (;;) {
    try {
      return parseCrontab(randomExpression(rand));
    } catch {
      // '31' in a short-month-only field: draw again.
    }
  }
}

/** An independent reading of "is instant t a run": wall-clock match plus the DST rules. */
function isRun(cron: Crontab, t: number, timeZone: string): boolean {
  const local = localMsOf(t, timeZone);
  const wall = new Date(local);
  const matches = (w: Date): boolean =>
    cron.minutes.includes(w.getUTCMinutes()) &&
    cron.hours.includes(w.getUTCHours()) &&
    cron.matchesDay(w.getUTCFullYear(), w.getUTCMonth() + 1, w.getUTCDate());
  const jumpedOver = offsetMsAt(t, timeZone) - offsetMsAt(t - 1000, timeZone);
  if (jumpedOver > 0 && !cron.everyHour) {
    // At a spring-forward instant: runs if the time itself or any skipped minute matches.
    for (let m = local - jumpedOver; m <= local; m += 60_000) if (matches(new Date(m))) return true;
    return false;
  }
  if (!matches(wall)) return false;
  if (cron.everyHour) return true;
  // Second pass of a repeated wall-clock time: not a run for fixed-hour crontabs.
  return ![30, 60, 120].some((minutes) => localMsOf(t - minutes * 60_000, timeZone) === local);
}

describe('Crontab.next properties (seeded)', () => {
  it('is always strictly after the previous run, and after the instant asked about', () => {
    const rand = random(20261124);
    const start = Date.parse('2000-01-01T00:00:00Z');
    const span = Date.parse('2040-01-01T00:00:00Z') - start;
    for (let i = 0; i < 3000; i++) {
      const cron = randomCrontab(rand);
      const zone = ZONES[Math.floor(rand() * ZONES.length)] ?? 'UTC';
      let previous = new Date(start + Math.floor(rand() * span));
      for (let step = 0; step < 3; step++) {
        const run = cron.next(previous, zone);
        if (!(run.getTime() > previous.getTime())) {
          throw new Error(
            `'${cron.toString()}' in ${zone} after ${previous.toISOString()} gave ${run.toISOString()}`,
          );
        }
        previous = run;
      }
    }
  });

  it('never skips a run: the result is a run and no minute between the asked time and it is one', () => {
    const rand = random(7);
    const dstZones = ZONES.filter((zone) => zone !== 'UTC' && zone !== 'Asia/Kolkata');
    for (let i = 0; i < 200; i++) {
      const zone = dstZones[Math.floor(rand() * dstZones.length)] ?? 'UTC';
      // Start shortly before one of the zone's clock changes in a random year.
      const year = 2000 + Math.floor(rand() * 40);
      const changes = transitionsIn(year, zone);
      const change = changes[Math.floor(rand() * changes.length)] ?? Date.UTC(year, 0, 1);
      const after = change - Math.floor(rand() * 180) * 60_000 - Math.floor(rand() * 60) * 1000;
      // Half of the crontabs pin the hour the change happens in.
      const hour = new Date(localMsOf(change - 1000, zone)).getUTCHours();
      const fields = randomExpression(rand).split(' ');
      if (rand() < 0.5) fields[1] = rand() < 0.5 ? String(hour) : `${hour},${(hour + 1) % 24}`;
      // Mostly every day, so the day of the change itself is a run day.
      if (rand() < 0.7) fields[2] = fields[3] = fields[4] = '*';
      let cron: Crontab;
      try {
        cron = parseCrontab(fields.join(' '));
      } catch {
        continue;
      }
      const run = cron.next(new Date(after), zone).getTime();
      const context = `'${cron.toString()}' in ${zone} after ${new Date(after).toISOString()} gave ${new Date(run).toISOString()}`;
      expect(isRun(cron, run, zone), context).toBe(true);
      const stop = Math.min(run, after + 4 * 3_600_000);
      for (let t = Math.floor(after / 60_000) * 60_000 + 60_000; t < stop; t += 60_000) {
        if (isRun(cron, t, zone)) throw new Error(`${context}, but ${new Date(t).toISOString()} is a run`);
      }
    }
  });
});

/** The instants in `year` at which the zone's offset changes (to the second). */
function transitionsIn(year: number, zone: string): number[] {
  const found: number[] = [];
  for (let month = 0; month < 12; month++) {
    let low = Date.UTC(year, month, 1);
    let high = Date.UTC(year, month + 1, 1);
    const before = offsetMsAt(low, zone);
    if (offsetMsAt(high, zone) === before) continue;
    while (high - low > 1000) {
      const middle = low + Math.floor((high - low) / 2000) * 1000;
      if (offsetMsAt(middle, zone) === before) low = middle;
      else high = middle;
    }
    found.push(high);
  }
  return found;
}
