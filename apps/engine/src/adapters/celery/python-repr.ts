// Python's repr() of JSON-like values, for the places Celery carries text meant
// for people: the argsrepr/kwargsrepr headers, and the args, kwargs and result
// fields of events, which Flower, `celery events` and Lovage's gateway show.
// Celery truncates those with saferepr at 1024 characters; this cuts at
// `maxLength` and ends with '...', close enough for display (the exact cut
// points of saferepr are not reproduced).

const PYTHON_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Python's quoting: ' unless the text holds a ' and no ", then ". Bytes escape everything outside printable ASCII. */
function quote(text: string, bytes: boolean): string {
  const q = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === q) out += `\\${ch}`;
    else if (PYTHON_ESCAPES[ch] !== undefined) out += PYTHON_ESCAPES[ch];
    else if (code < 0x20 || code === 0x7f || (bytes && code > 0x7f))
      out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + q;
}

const reprString = (text: string): string => quote(text, false);
const reprBytes = (bytes: Uint8Array): string => `b${quote(Buffer.from(bytes).toString('latin1'), true)}`;

function reprDate(date: Date): string {
  const parts = [
    date.getUTCFullYear(),
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
  ];
  const micros = date.getUTCMilliseconds() * 1000;
  if (micros !== 0) parts.push(micros);
  return `datetime.datetime(${parts.join(', ')}, tzinfo=datetime.timezone.utc)`;
}

function repr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return reprString(value);
  if (value instanceof Date) return reprDate(value);
  if (value instanceof Uint8Array) return reprBytes(value);
  if (Array.isArray(value)) return `[${value.map(repr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${reprString(k)}: ${repr(v)}`)
      .join(', ')}}`;
  }
  return typeof value === 'bigint' ? value.toString() : reprString(typeof value);
}

/** repr(value) as Python would print the decoded JSON value, cut to `maxLength` characters. */
export function pythonRepr(value: unknown, maxLength = 1024): string {
  const text = repr(value);
  return text.length <= maxLength ? text : `${text.slice(0, Math.max(0, maxLength - 3))}...`;
}

/** The previews most tasks' args and results have, looked up rather than parsed (each task's events need two). */
const COMMON_PREVIEWS = new Map([
  ['[]', '[]'],
  ['{}', '{}'],
  ['null', 'None'],
  ['undefined', 'None'],
  ['true', 'True'],
  ['false', 'False'],
]);

/**
 * A Lovage event's JSON preview of args or a result (events.ts `preview`) as
 * the repr() text Celery's events carry, so a task reads the same in Flower
 * and the gateway whichever language sent or ran it. A preview cut short is
 * not JSON any more and stays as it is.
 */
export function pythonReprOfPreview(preview: string): string {
  const common = COMMON_PREVIEWS.get(preview);
  if (common !== undefined) return common;
  try {
    return pythonRepr(JSON.parse(preview));
  } catch {
    return preview;
  }
}
