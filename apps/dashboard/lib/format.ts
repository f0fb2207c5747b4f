/** A timestamp from the gateway as a short local date and time; "—" when there is none. */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime())
    ? value
    : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The full local date and time with seconds, for tooltips. */
export function formatAbsolute(value: string | number | Date): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime())
    ? String(value)
    : date.toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'long' });
}

/** "2 s ago", "in 5 min": the distance between an instant and now. */
export function formatRelative(value: string | number | Date, now: number): string {
  const at = new Date(value).getTime();
  if (Number.isNaN(at)) return String(value);
  const delta = at - now;
  // The page's clock ticks once a second, so an instant that just arrived can be up to a
  // second "ahead" of it: within two seconds either way is now.
  if (Math.abs(delta) < 2_000) return 'just now';
  const seconds = Math.round(Math.abs(delta) / 1000);
  let text: string;
  if (seconds < 60) text = `${seconds} s`;
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
  return value === null || value === undefined ? '—' : value.toLocaleString();
}

/** "1 message", "3 messages": a count with its noun (regular plurals only). */
export function plural(count: number, noun: string): string {
  return `${count.toLocaleString()} ${noun}${count === 1 ? '' : 's'}`;
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
