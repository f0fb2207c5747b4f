// Time zones for beat, on nothing but Intl (this module also runs in the dashboard).
//
// A "local ms" is a wall-clock reading encoded as if it were UTC:
// Date.UTC(year, month - 1, day, hour, minute, second). Calendar arithmetic on it
// is plain Date.UTC arithmetic, with no zone involved; turning it back into a
// real instant is `resolveLocalTime`, which is where gaps and overlaps are met.
import { ConfigError } from '../errors.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** A wall-clock reading in some zone. `month` is 1-12; `weekday` is 0 (Sunday) to 6. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

/**
 * What a wall-clock time means in a zone:
 * - `exact`: it happens once, at `instants[0]`;
 * - `overlap`: the clocks went back and it happens twice (`instants` has both, earlier first);
 * - `gap`: the clocks jumped over it; `instants` is empty and `transition` is the
 *   first instant after the jump (the first valid instant after the missing time).
 */
export type LocalTimeResolution =
  | { kind: 'exact'; instants: [number] }
  | { kind: 'overlap'; instants: [number, number] }
  | { kind: 'gap'; instants: []; transition: number };

// Intl.DateTimeFormat is expensive to build; one per zone, kept for the process.
const formatters = new Map<string, Intl.DateTimeFormat>();
const canonicalNames = new Map<string, string>();
// en-US with numeric fields and hourCycle h23: '11/24/2026, 13:45:07'.
const FORMATTED = /^(\d+)\/(\d+)\/(\d+),? (\d+):(\d+):(\d+)$/;

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * Checks an IANA zone name and returns its canonical spelling
 * ('europe/london' → 'Europe/London', 'Etc/UTC' → 'UTC'). Throws a ConfigError
 * naming `field` for a zone Intl does not know.
 */
export function resolveTimeZone(timeZone: string, field = 'timezone'): string {
  const known = canonicalNames.get(timeZone);
  if (known !== undefined) return known;
  if (typeof timeZone !== 'string' || timeZone.trim() === '') {
    throw new ConfigError(
      `${field} must be an IANA time zone name such as 'Europe/London', got ${JSON.stringify(timeZone)}`,
    );
  }
  let canonical: string;
  try {
    canonical = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch (error) {
    throw new ConfigError(
      `${field}: ${JSON.stringify(timeZone)} is not a known IANA time zone (examples: 'UTC', 'Europe/London', 'America/New_York')`,
      { cause: error },
    );
  }
  canonicalNames.set(timeZone, canonical);
  return canonical;
}

/** True when Intl knows the zone. */
export function isTimeZone(timeZone: string): boolean {
  try {
    resolveTimeZone(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The zone names this runtime knows, for pickers (UTC first). */
export function listTimeZones(): string[] {
  const zones = Intl.supportedValuesOf('timeZone').filter((zone) => zone !== 'UTC');
  return ['UTC', ...zones];
}

/** The wall-clock reading at `instant` in `timeZone`, as local ms (whole seconds). */
export function localMsOf(instant: number, timeZone: string): number {
  // format() and a regex are about three times faster than formatToParts().
  const match = FORMATTED.exec(formatterFor(timeZone).format(instant));
  if (!match) throw new Error(`Intl returned an unexpected date format for ${timeZone}`);
  const [, month, day, year, hour, minute, second] = match.map(Number);
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not.
  const local = new Date(Date.UTC(2000, (month ?? 1) - 1, day, hour, minute, second));
  local.setUTCFullYear(year ?? 2000);
  return local.getTime();
}

/** The wall-clock fields at `instant` in `timeZone`. */
export function wallClockOf(instant: Date | number, timeZone: string): WallClock {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  return fieldsOfLocalMs(localMsOf(ms, resolveTimeZone(timeZone)));
}

/** Splits local ms into wall-clock fields. */
export function fieldsOfLocalMs(local: number): WallClock {
  const d = new Date(local);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
  };
}

/** The zone's offset from UTC at `instant`, in ms (London in summer: +3_600_000). */
export function offsetMsAt(instant: number, timeZone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return localMsOf(whole, timeZone) - whole;
}

/**
 * Finds the instants at which a wall-clock time (local ms, whole seconds)
 * happens in `timeZone`. Assumes at most one transition within a day of it,
 * which holds for every zone in the tz database since 1970.
 */
export function resolveLocalTime(local: number, timeZone: string): LocalTimeResolution {
  // The instant is local - offset for one of the offsets in force around it.
  const offsets = new Set([offsetMsAt(local - DAY, timeZone), offsetMsAt(local + DAY, timeZone)]);
  const instants: number[] = [];
  for (const offset of offsets) {
    const candidate = local - offset;
    if (localMsOf(candidate, timeZone) === local && !instants.includes(candidate)) instants.push(candidate);
  }
  instants.sort((a, b) => a - b);
  const [first, second] = instants;
  if (first !== undefined && second !== undefined) return { kind: 'overlap', instants: [first, second] };
  if (first !== undefined) return { kind: 'exact', instants: [first] };

  // A gap: before the jump the offset was smaller. `low` is before the jump and
  // `high` after it; search for the first instant with the new offset.
  const sorted = [...offsets].sort((a, b) => a - b);
  const smallest = sorted[0] ?? 0;
  const largest = sorted[sorted.length - 1] ?? 0;
  let low = local - largest;
  let high = local - smallest;
  const before = offsetMsAt(low, timeZone);
  while (high - low > 1000) {
    const middle = low + Math.floor((high - low) / 2000) * 1000;
    if (offsetMsAt(middle, timeZone) === before) low = middle;
    else high = middle;
  }
  return { kind: 'gap', instants: [], transition: high };
}

/**
 * The instant of a wall-clock time in `timeZone`, with beat's rules for the odd
 * cases: a time that happens twice means its first occurrence; a time that does
 * not exist means the first valid instant after it (the moment of the jump).
 */
export function instantOfLocal(
  fields: Omit<WallClock, 'weekday' | 'second'> & { second?: number },
  timeZone: string,
): Date {
  const zone = resolveTimeZone(timeZone);
  const local = new Date(
    Date.UTC(2000, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second ?? 0),
  );
  local.setUTCFullYear(fields.year);
  const resolution = resolveLocalTime(local.getTime(), zone);
  return new Date(resolution.kind === 'gap' ? resolution.transition : resolution.instants[0]);
}

/** Rounds local ms down to the whole minute. */
export function floorToMinute(ms: number): number {
  return Math.floor(ms / MINUTE) * MINUTE;
}

export const TIME = { MINUTE, HOUR, DAY } as const;
