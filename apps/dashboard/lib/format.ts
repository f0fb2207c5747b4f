// Text for numbers, times and values. Every Intl formatter is built once: `toLocaleString`
// with options builds a new one on each call, which cost live pages most of their CPU (a chart
// axis formats its ticks many times per redraw; every "2 s ago" formats its tooltip each tick).

/** A formatter built on first use and kept (the browser's locale does not change under a page). */
function once<T>(make: () => T): () => T {
  let made: T | undefined;
  return () => (made ??= make());
}

const dateTimeFormat = once(() => new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }));
const absoluteFormat = once(() => new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'long' }));
const clockFormat = once(() => new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }));
const dayFormat = once(() => new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' }));
const clockWithSecondsFormat = once(() => new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' }));
const countFormat = once(() => new Intl.NumberFormat());

function validDate(value: string | number | Date): Date | null {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A timestamp from the gateway as a short local date and time; "—" when there is none. */
export function formatDateTime(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const date = validDate(value);
  return date ? dateTimeFormat().format(date) : String(value);
}

/** The full local date and time with seconds, for tooltips. */
export function formatAbsolute(value: string | number | Date): string {
  const date = validDate(value);
  return date ? absoluteFormat().format(date) : String(value);
}

/** A time of day for chart axes: "14:05", or "14:05:30" with seconds. */
export function formatClock(value: number, withSeconds: boolean): string {
  const date = validDate(value);
  if (!date) return '';
  return (withSeconds ? clockWithSecondsFormat() : clockFormat()).format(date);
}

/** A day for the axis of a chart spanning days: "Dec 6". */
export function formatDay(value: number): string {
  const date = validDate(value);
  return date ? dayFormat().format(date) : '';
}

const relativeStepMs = 5_000;

/** "2 s ago", "in 5 min": the distance between an instant and now, to about five seconds. */
export function formatRelative(value: string | number | Date, now: number): string {
  const at = new Date(value).getTime();
  if (Number.isNaN(at)) return String(value);
  // Measured from now rounded to a whole five seconds: every time on the page then changes its
  // words on the same tick, once per five seconds, and a list of fresh tasks is laid out again
  // once per step, not at each second in which one of its times moved to the next step.
  const delta = at - Math.round(now / relativeStepMs) * relativeStepMs;
  // Within five seconds either way is now (the page's clock ticks once a second, so an instant
  // that just arrived can be a second "ahead" of it), and under a minute counts in steps of five
  // seconds.
  if (Math.abs(delta) < 5_000) return 'just now';
  const seconds = Math.floor(Math.abs(delta) / 1000);
  let text: string;
  if (seconds < 60) text = `${seconds - (seconds % 5)} s`;
  else if (seconds < 3_600) text = `${Math.floor(seconds / 60)} min`;
  else if (seconds < 86_400) text = `${Math.floor(seconds / 3_600)} h`;
  else text = `${Math.floor(seconds / 86_400)} d`;
  return delta < 0 ? `${text} ago` : `in ${text}`;
}

/** A runtime in seconds: "12 ms", "1.52 s", "3 min 4 s". */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(2)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit] ?? 'B'}`;
}

export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : countFormat().format(value);
}

/** "1 message", "3 messages": a count with its noun (regular plurals only). */
export function plural(count: number, noun: string): string {
  return `${formatCount(count)} ${noun}${count === 1 ? '' : 's'}`;
}

export function formatPercent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(rate < 0.1 ? 1 : 0)} %`;
}

/** Any value as indented JSON text (for display only: it is rendered as text, never as HTML). */
export function prettyJson(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  try {
    return JSON.stringify(value, null, 2) ?? '';
  } catch {
    return '[unprintable value]';
  }
}

/** A one-line preview of any value, cut to `max` characters. */
export function previewJson(value: unknown, max = 80): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
