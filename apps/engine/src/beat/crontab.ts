// Crontab schedules: Celery's crontab() and five-field cron strings, parsed into
// sets of allowed values, with next-run computation in any IANA zone.
//
// Day matching follows Vixie cron: when both dayOfMonth and dayOfWeek are
// restricted (neither starts with '*'), a day matches when EITHER matches;
// otherwise both must match (a '*' field matches everything).
//
// Daylight saving time, in two rules (docs/beat.md explains them):
// - A crontab that runs every hour of the day (hour field covers 0-23) follows
//   elapsed time: wall-clock times skipped by a spring-forward jump do not
//   happen, and times repeated by a fall-back happen twice.
// - Any other crontab follows the wall clock: a time skipped by the jump runs
//   at the first valid instant after it (the moment of the jump), once; a
//   repeated time runs once, at its first occurrence.
import { ConfigError } from '../errors.js';
import { TIME, floorToMinute, localMsOf, offsetMsAt, resolveLocalTime, resolveTimeZone } from './timezone.js';

export type CrontabField = 'minute' | 'hour' | 'dayOfMonth' | 'monthOfYear' | 'dayOfWeek';

/** One crontab field as Celery takes it: a number, a list, or cron text ('*', '*\/15', '1-5', 'mon-fri', 'L'). */
export type CrontabFieldInput = number | string | readonly (number | string)[];

export type CrontabInput = Partial<Record<CrontabField, CrontabFieldInput>>;

interface FieldSpec {
  min: number;
  max: number;
  names?: Readonly<Record<string, number>>;
}

const FIELDS: readonly CrontabField[] = ['minute', 'hour', 'dayOfMonth', 'monthOfYear', 'dayOfWeek'];

const MONTH_NAMES: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};
const DAY_NAMES: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const SPECS: Record<CrontabField, FieldSpec> = {
  minute: { min: 0, max: 59 },
  hour: { min: 0, max: 23 },
  dayOfMonth: { min: 1, max: 31 },
  monthOfYear: { min: 1, max: 12, names: MONTH_NAMES },
  // 7 is accepted as Sunday and folded into 0.
  dayOfWeek: { min: 0, max: 7, names: DAY_NAMES },
};

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

// Longest days in each month over all years (February: 29 in leap years).
const MAX_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

// The longest backward clock change in the tz database is 2 h (Antarctica/Troll);
// within this window before one, earlier wall-clock times can still come up again.
const OVERLAP_WINDOW = 3 * TIME.HOUR;

// A crontab that can match at all matches within this span (February 29 with a
// dayOfWeek restriction is the slowest: up to 28 years).
const SEARCH_LIMIT = 30 * 366 * TIME.DAY;

interface ParsedField {
  text: string;
  values: number[];
  lastDay: boolean;
}

function fail(field: CrontabField, message: string): never {
  throw new ConfigError(`crontab.${field}: ${message}`);
}

function parseValue(field: CrontabField, raw: string): number {
  const spec = SPECS[field];
  const named = spec.names?.[raw];
  if (named !== undefined) return named;
  if (!/^\d+$/.test(raw)) {
    const names = spec.names ? ` or a name (${Object.keys(spec.names).join(', ')})` : '';
    fail(field, `${JSON.stringify(raw)} is not a number${names}`);
  }
  const value = Number(raw);
  if (value < spec.min || value > spec.max) fail(field, `${value} is out of range ${spec.min}-${spec.max}`);
  return value;
}

function parseField(field: CrontabField, input: string): ParsedField {
  const spec = SPECS[field];
  const text = input.trim().toLowerCase();
  if (text === '') fail(field, 'is empty');
  const values = new Set<number>();
  let lastDay = false;
  for (const part of text.split(',')) {
    if (part === '') fail(field, `${JSON.stringify(text)} has an empty list item`);
    if (part === 'l') {
      if (field !== 'dayOfMonth') fail(field, `'L' (last day of the month) is only allowed in dayOfMonth`);
      lastDay = true;
      continue;
    }
    const [rangeText = '', stepText, extra] = part.split('/');
    if (extra !== undefined) fail(field, `${JSON.stringify(part)} has more than one '/'`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) {
        fail(field, `step ${JSON.stringify(stepText)} in ${JSON.stringify(part)} must be a positive integer`);
      }
      step = Number(stepText);
    }
    let low: number;
    let high: number;
    if (rangeText === '*') {
      low = spec.min;
      high = field === 'dayOfWeek' ? 6 : spec.max;
    } else {
      const [lowText = '', highText, more] = rangeText.split('-');
      if (more !== undefined) fail(field, `${JSON.stringify(part)} is not a valid range`);
      low = parseValue(field, lowText);
      if (highText !== undefined) {
        high = parseValue(field, highText);
        // 'fri-sun': Sunday at the end of a range means 7.
        if (field === 'dayOfWeek' && high === 0 && low > 0) high = 7;
        if (high < low) fail(field, `range ${JSON.stringify(rangeText)} runs backwards`);
      } else {
        // '5/15' means from 5 to the end of the field, every 15 (as in cronie).
        high = stepText !== undefined ? (field === 'dayOfWeek' ? 6 : spec.max) : low;
      }
    }
    for (let value = low; value <= high; value += step)
      values.add(field === 'dayOfWeek' && value === 7 ? 0 : value);
  }
  return { text, values: [...values].sort((a, b) => a - b), lastDay };
}

function fieldText(field: CrontabField, input: CrontabFieldInput | undefined): string {
  if (input === undefined) return '*';
  if (typeof input === 'number') {
    if (!Number.isInteger(input)) fail(field, `${input} is not an integer`);
    return String(input);
  }
  if (typeof input === 'string') return input;
  if (Array.isArray(input)) {
    if (input.length === 0) fail(field, 'is an empty list');
    return input
      .map((item) => {
        if (typeof item === 'number' && !Number.isInteger(item)) fail(field, `${item} is not an integer`);
        if (typeof item !== 'number' && typeof item !== 'string')
          fail(field, `list items must be numbers or strings`);
        return String(item);
      })
      .join(',');
  }
  return fail(field, `must be a number, a list or cron text, got ${JSON.stringify(input)}`);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function nextIn(values: readonly number[], from: number): number | undefined {
  for (const value of values) if (value >= from) return value;
  return undefined;
}

/** A parsed crontab: the allowed values of each field, and next-run computation. */
export class Crontab {
  readonly kind = 'crontab' as const;
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: readonly number[];
  /** dayOfMonth includes 'L', the last day of the month. */
  readonly lastDayOfMonth: boolean;
  readonly monthsOfYear: readonly number[];
  /** 0 (Sunday) to 6. */
  readonly daysOfWeek: readonly number[];
  /** Vixie cron's rule: a day field starting with '*' does not restrict the day. */
  readonly dayOfMonthRestricted: boolean;
  readonly dayOfWeekRestricted: boolean;
  /** Every hour of the day: the schedule follows elapsed time across DST changes. */
  readonly everyHour: boolean;
  private readonly texts: Record<CrontabField, string>;
  private readonly monthSet: ReadonlySet<number>;
  private readonly domSet: ReadonlySet<number>;
  private readonly dowSet: ReadonlySet<number>;

  constructor(input: CrontabInput = {}) {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new ConfigError(
        `crontab: expected an object of minute, hour, dayOfWeek, dayOfMonth, monthOfYear`,
      );
    }
    for (const key of Object.keys(input)) {
      if (!(FIELDS as readonly string[]).includes(key)) {
        throw new ConfigError(`crontab.${key}: unknown field (expected one of ${FIELDS.join(', ')})`);
      }
    }
    const parsed = {} as Record<CrontabField, ParsedField>;
    for (const field of FIELDS) parsed[field] = parseField(field, fieldText(field, input[field]));
    this.texts = {
      minute: parsed.minute.text,
      hour: parsed.hour.text,
      dayOfMonth: parsed.dayOfMonth.text,
      monthOfYear: parsed.monthOfYear.text,
      dayOfWeek: parsed.dayOfWeek.text,
    };
    this.minutes = parsed.minute.values;
    this.hours = parsed.hour.values;
    this.daysOfMonth = parsed.dayOfMonth.values;
    this.lastDayOfMonth = parsed.dayOfMonth.lastDay;
    this.monthsOfYear = parsed.monthOfYear.values;
    this.daysOfWeek = parsed.dayOfWeek.values;
    this.dayOfMonthRestricted = !this.texts.dayOfMonth.startsWith('*');
    this.dayOfWeekRestricted = !this.texts.dayOfWeek.startsWith('*');
    this.everyHour = this.hours.length === 24;
    this.monthSet = new Set(this.monthsOfYear);
    this.domSet = new Set(this.daysOfMonth);
    this.dowSet = new Set(this.daysOfWeek);

    // Reject what can never run ('0 0 30 2 *'), unless dayOfWeek alone can match.
    if (!(this.dayOfMonthRestricted && this.dayOfWeekRestricted)) {
      const possible = this.monthsOfYear.some(
        (month) => this.lastDayOfMonth || this.daysOfMonth.some((day) => day <= (MAX_DAYS[month - 1] ?? 31)),
      );
      if (!possible) {
        throw new ConfigError(
          `crontab.dayOfMonth: ${this.texts.dayOfMonth} never occurs in monthOfYear ${this.texts.monthOfYear}`,
        );
      }
    }
  }

  /** The five-field form: 'minute hour dayOfMonth monthOfYear dayOfWeek'. */
  toString(): string {
    const t = this.texts;
    return `${t.minute} ${t.hour} ${t.dayOfMonth} ${t.monthOfYear} ${t.dayOfWeek}`;
  }

  toJSON(): string {
    return this.toString();
  }

  /** The field as normalized cron text. */
  field(field: CrontabField): string {
    return this.texts[field];
  }

  /** Whether a calendar day (month 1-12) is a run day. */
  matchesDay(year: number, month: number, day: number): boolean {
    if (!this.monthSet.has(month)) return false;
    const domMatch = this.domSet.has(day) || (this.lastDayOfMonth && day === daysInMonth(year, month));
    const dowMatch = this.dowSet.has(new Date(Date.UTC(year, month - 1, day)).getUTCDay());
    if (this.dayOfMonthRestricted && this.dayOfWeekRestricted) return domMatch || dowMatch;
    return domMatch && dowMatch;
  }

  /**
   * The first matching wall-clock minute at or after `from` (local ms), or
   * undefined when there is none within the search limit.
   */
  nextLocal(from: number): number | undefined {
    let t = Math.ceil(from / TIME.MINUTE) * TIME.MINUTE;
    const limit = from + SEARCH_LIMIT;
    while (t <= limit) {
      const d = new Date(t);
      const year = d.getUTCFullYear();
      const month = d.getUTCMonth() + 1;
      const day = d.getUTCDate();
      if (!this.monthSet.has(month)) {
        const nextMonth = nextIn(this.monthsOfYear, month);
        t = nextMonth === undefined ? utc(year + 1, this.monthsOfYear[0] ?? 1, 1) : utc(year, nextMonth, 1);
        continue;
      }
      if (!this.matchesDay(year, month, day)) {
        t = utc(year, month, day + 1);
        continue;
      }
      const hour = d.getUTCHours();
      if (!this.hours.includes(hour)) {
        const nextHour = nextIn(this.hours, hour);
        t = nextHour === undefined ? utc(year, month, day + 1) : utc(year, month, day, nextHour);
        continue;
      }
      const nextMinute = nextIn(this.minutes, d.getUTCMinutes());
      if (nextMinute === undefined) {
        t = utc(year, month, day, hour + 1);
        continue;
      }
      return utc(year, month, day, hour, nextMinute);
    }
    return undefined;
  }

  /**
   * The first run strictly after `after`, in `timeZone` (default UTC). Throws
   * when the crontab never runs again (only February 29 crontabs come close).
   */
  next(after: Date, timeZone = 'UTC'): Date {
    const zone = resolveTimeZone(timeZone);
    const afterMs = after.getTime();
    if (!Number.isFinite(afterMs)) throw new ConfigError('crontab.next: `after` is an invalid Date');
    // Just before a backward change, wall-clock times already passed come round
    // again, so the search starts earlier and keeps the smallest instant found.
    const backwardAhead = offsetMsAt(afterMs + OVERLAP_WINDOW, zone) < offsetMsAt(afterMs, zone);
    let cursor = floorToMinute(localMsOf(afterMs, zone)) - (backwardAhead ? OVERLAP_WINDOW : 0);
    const limit = cursor + SEARCH_LIMIT;
    let best: number | undefined;
    while (cursor <= limit) {
      const local = this.nextLocal(cursor);
      if (local === undefined) break;
      const resolution = resolveLocalTime(local, zone);
      const earliest = resolution.kind === 'gap' ? resolution.transition : resolution.instants[0];
      if (best !== undefined && earliest >= best) break;
      for (const instant of this.instantsFor(resolution)) {
        if (instant > afterMs && (best === undefined || instant < best)) best = instant;
      }
      cursor = local + TIME.MINUTE;
    }
    if (best === undefined)
      throw new ConfigError(`crontab '${this.toString()}' has no run after ${after.toISOString()}`);
    return new Date(best);
  }

  private instantsFor(resolution: ReturnType<typeof resolveLocalTime>): number[] {
    switch (resolution.kind) {
      case 'exact':
        return resolution.instants;
      case 'overlap':
        return this.everyHour ? resolution.instants : [resolution.instants[0]];
      case 'gap':
        return this.everyHour ? [] : [resolution.transition];
    }
  }
}

function utc(year: number, month: number, day: number, hour = 0, minute = 0): number {
  return Date.UTC(year, month - 1, day, hour, minute);
}

/**
 * Celery's crontab(): each field a number, a list or cron text; omitted fields
 * are '*'. `crontab({ hour: 8, minute: 0 })` runs at 08:00 every day.
 * Also takes a five-field string: `crontab('0 8 * * *')`.
 */
export function crontab(input: CrontabInput | string = {}): Crontab {
  return typeof input === 'string' ? parseCrontab(input) : new Crontab(input);
}

/** Parses a five-field cron string ('0 8 * * 1-5') or a macro ('@daily', '@hourly', ...). */
export function parseCrontab(expression: string): Crontab {
  if (typeof expression !== 'string') {
    throw new ConfigError(`crontab: expected a five-field cron string, got ${JSON.stringify(expression)}`);
  }
  const trimmed = expression.trim().toLowerCase();
  const text = MACROS[trimmed] ?? trimmed;
  if (text.startsWith('@')) {
    throw new ConfigError(
      `crontab: unknown macro ${JSON.stringify(expression)} (known: ${Object.keys(MACROS).join(', ')})`,
    );
  }
  const parts = text.split(/\s+/);
  if (parts.length !== 5) {
    throw new ConfigError(
      `crontab: ${JSON.stringify(expression)} must have five fields (minute hour dayOfMonth monthOfYear dayOfWeek), got ${parts.length}`,
    );
  }
  const [minute, hour, dayOfMonth, monthOfYear, dayOfWeek] = parts;
  return new Crontab({ minute, hour, dayOfMonth, monthOfYear, dayOfWeek });
}

/** True for values that are Crontab objects (also across copies of this module). */
export function isCrontab(value: unknown): value is Crontab {
  return (
    value instanceof Crontab ||
    (typeof value === 'object' &&
      value !== null &&
      (value as { kind?: unknown }).kind === 'crontab' &&
      typeof (value as { next?: unknown }).next === 'function')
  );
}
