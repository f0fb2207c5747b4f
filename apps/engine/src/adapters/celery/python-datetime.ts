// Python's ISO-8601 datetimes, as Celery and kombu write and read them.
//
// Reading: Python writes `datetime.isoformat()`: `YYYY-MM-DDTHH:MM:SS`, then
// `.ffffff` only when the microseconds are not zero, then the offset `+HH:MM`
// only when the datetime is aware. kombu 5.2 rewrites a `+00:00` offset as `Z`;
// Celery's eta/expires keep `+00:00`. A datetime without an offset is read as
// UTC: that is what Celery 5.2.6's worker does with a naive eta or expires
// (`maybe_make_aware` → `to_utc`), and Celery's default is enable_utc.
// A JS Date keeps milliseconds, so microseconds beyond them are dropped.
//
// Writing: always six fraction digits and an explicit offset. Celery 5.2.6's
// own parser (celery/utils/iso8601.py) reads the fraction as an integer count
// of microseconds, so `.123` (a JS `toISOString()`) would come back as 123 µs,
// and more than six digits raise ValueError in the worker.

const ISO_DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|([+-])(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?)?$/;

/** Parses a Python `isoformat()` datetime (or kombu 5.2's `…Z` form). Returns undefined when `text` is not one. */
export function parsePythonDatetime(text: string): Date | undefined {
  const m = ISO_DATETIME.exec(text);
  if (m === null) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone, sign, offH, offM, offS] = m;
  const ms = fraction === undefined ? 0 : Math.floor(Number(fraction.padEnd(6, '0')) / 1000);
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  date.setUTCHours(Number(hour), Number(minute), Number(second), ms);
  if (
    date.getUTCMonth() !== Number(month) - 1 ||
    date.getUTCDate() !== Number(day) ||
    Number(hour) > 23 ||
    Number(minute) > 59 ||
    Number(second) > 59
  ) {
    return undefined; // 2026-02-30 or 25:00: not a datetime Python could have written
  }
  if (zone !== undefined && zone !== 'Z') {
    const offsetSeconds = Number(offH) * 3600 + Number(offM) * 60 + Number(offS ?? 0);
    date.setTime(date.getTime() - (sign === '-' ? -offsetSeconds : offsetSeconds) * 1000);
  }
  return date;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * Formats `date` as an aware UTC datetime Python reads everywhere:
 * `2026-11-24T12:25:19.715000+00:00` (Celery's eta/expires/date_done style).
 */
export function formatPythonDatetime(date: Date): string {
  const micros = pad(date.getUTCMilliseconds() * 1000, 6);
  return (
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}` +
    `T${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}.${micros}+00:00`
  );
}

/**
 * Formats `date` exactly as kombu 5.2's JSON encoder writes an aware UTC
 * datetime argument: `isoformat()` with `+00:00` replaced by `Z`, and no
 * fraction when it is zero.
 */
export function formatKombu52Datetime(date: Date): string {
  const full = formatPythonDatetime(date);
  const base = full.slice(0, 19);
  const ms = date.getUTCMilliseconds();
  return ms === 0 ? `${base}Z` : `${base}.${pad(ms * 1000, 6)}Z`;
}
