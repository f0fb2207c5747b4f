// Human-readable schedules for the dashboard and the CLI. Common shapes get a
// sentence; anything unusual falls back to the cron text, which is never wrong.
import { formatMs } from '../time/duration.js';
import type { Crontab } from './crontab.js';
import type { ResolvedSchedule } from './schedule.js';
import { crontabOf } from './schedule.js';
import { wallClockOf } from './timezone.js';

const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const UNITS: readonly [number, string][] = [
  [86_400_000, 'day'],
  [3_600_000, 'hour'],
  [60_000, 'minute'],
  [1_000, 'second'],
  [1, 'millisecond'],
];

const pad = (n: number): string => String(n).padStart(2, '0');

function ordinal(n: number): string {
  const mod100 = n % 100;
  if (mod100 >= 11 && mod100 <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

function joinList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}

/** "Every hour", "Every 90 seconds", "Every 2 days", "Every 1h 30m". */
export function describeInterval(everyMs: number): string {
  for (const [size, unit] of UNITS) {
    if (everyMs % size === 0) {
      const count = everyMs / size;
      // The largest whole unit: '90 seconds', not '1.5 minutes' or '1m 30s'.
      return count === 1 ? `Every ${unit}` : `Every ${count} ${unit}s`;
    }
  }
  return `Every ${formatMs(everyMs)}`;
}

/** The values as a step from the field's start ('every 2nd hour'), if they are one. */
function stepOf(values: readonly number[], min: number, max: number): number | undefined {
  const [first, second] = values;
  if (first !== min || second === undefined) return undefined;
  const step = second - first;
  if (step < 2) return undefined;
  const expected: number[] = [];
  for (let v = min; v <= max; v += step) expected.push(v);
  return expected.length === values.length && expected.every((v, i) => values[i] === v) ? step : undefined;
}

/** Consecutive values of length ≥ 3 as 'A through B'; otherwise a list. */
function rangeOrList(values: readonly number[], name: (n: number) => string): string {
  const first = values[0];
  const last = values[values.length - 1];
  if (first !== undefined && last !== undefined && values.length >= 3 && last - first === values.length - 1) {
    return `${name(first)} through ${name(last)}`;
  }
  return joinList(values.map(name));
}

function describeDays(cron: Crontab): string | undefined {
  const domAll = cron.daysOfMonth.length === 31 && !cron.lastDayOfMonth;
  const dowAll = cron.daysOfWeek.length === 7;
  const dom = (): string => {
    const parts: string[] = [];
    if (cron.daysOfMonth.length > 0) parts.push(`day ${rangeOrList(cron.daysOfMonth, String)}`);
    if (cron.lastDayOfMonth) parts.push('the last day');
    return `on ${joinList(parts)} of the month`;
  };
  const dow = (): string => `on ${rangeOrList(cron.daysOfWeek, (d) => DAY_NAMES[d] ?? String(d))}`;
  if (cron.dayOfMonthRestricted && cron.dayOfWeekRestricted) {
    if (domAll || dowAll) return undefined;
    return `${dom()} or ${dow()}`;
  }
  if (!cron.dayOfMonthRestricted && !domAll) return undefined; // '*/2' with a weekday: rare, show the cron text
  if (!cron.dayOfWeekRestricted && !dowAll) return undefined;
  if (domAll && dowAll) return '';
  if (domAll) return dow();
  return dom();
}

function describeMonths(cron: Crontab): string | undefined {
  if (cron.monthsOfYear.length === 12) return '';
  return `in ${rangeOrList(cron.monthsOfYear, (m) => MONTH_NAMES[m - 1] ?? String(m))}`;
}

function describeTime(cron: Crontab): string | undefined {
  const { minutes, hours } = cron;
  const allMinutes = minutes.length === 60;
  const allHours = hours.length === 24;
  const minuteStep = stepOf(minutes, 0, 59);
  const hourStep = stepOf(hours, 0, 23);
  const [minute] = minutes;
  if (allMinutes && allHours) return 'Every minute';
  if (minuteStep !== undefined && allHours) return `Every ${minuteStep} minutes`;
  if (minutes.length === 1 && minute !== undefined) {
    if (allHours) return `At minute ${minute} past every hour`;
    if (hourStep !== undefined) return `At minute ${minute} past every ${ordinal(hourStep)} hour`;
    if (hours.length <= 6) return `At ${joinList(hours.map((h) => `${pad(h)}:${pad(minute)}`))}`;
    return `At minute ${minute} past hour ${rangeOrList(hours, String)}`;
  }
  if (allHours && minutes.length <= 4) return `At minutes ${joinList(minutes.map(String))} past every hour`;
  if (minutes.length * hours.length <= 6) {
    const times = hours.flatMap((h) => minutes.map((m) => `${pad(h)}:${pad(m)}`));
    return `At ${joinList(times)}`;
  }
  if (allMinutes && hours.length === 1)
    return `Every minute from ${pad(hours[0] ?? 0)}:00 to ${pad(hours[0] ?? 0)}:59`;
  return undefined;
}

/** A sentence for a crontab in a zone, or the cron text when the shape is unusual. */
export function describeCrontab(cron: Crontab, timeZone = 'UTC'): string {
  const time = describeTime(cron);
  const days = describeDays(cron);
  const months = describeMonths(cron);
  if (time === undefined || days === undefined || months === undefined)
    return `Cron "${cron.toString()}" (${timeZone})`;
  const atFixedTime = time.startsWith('At ') && !time.includes('past');
  const dayPart = days === '' ? (atFixedTime ? 'every day' : '') : days;
  return `${[time, dayPart, months].filter((part) => part !== '').join(' ')} (${timeZone})`;
}

/** "Once at 2026-12-01 09:00 UTC", or in the schedule's zone: "Once at 2026-12-01 10:00 (Europe/Paris)". */
export function describeClocked(at: Date, timeZone = 'UTC'): string {
  const w = wallClockOf(at, timeZone);
  const seconds = w.second === 0 ? '' : `:${pad(w.second)}`;
  const text = `${w.year}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}${seconds}`;
  return timeZone === 'UTC' ? `Once at ${text} UTC` : `Once at ${text} (${timeZone})`;
}

/** Describes a resolved schedule's timetable in one line. */
export function describeSchedule(schedule: ResolvedSchedule): string {
  const spec = schedule.schedule;
  switch (spec.kind) {
    case 'interval':
      return describeInterval(spec.everyMs);
    case 'clocked':
      return describeClocked(new Date(spec.at), schedule.timezone);
    case 'crontab':
      return describeCrontab(crontabOf(spec.expression), schedule.timezone);
  }
}
