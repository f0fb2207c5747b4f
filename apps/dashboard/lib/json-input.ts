// Arguments typed as JSON in a form: parsed here, with a message that names the field, so the
// form can say what is wrong inline and keep its submit button disabled until it is right.
export type JsonInput<T> = { ok: true; value: T } | { ok: false; error: string };

/** The most a form sends as one JSON field (the gateway refuses more). */
export const JSON_INPUT_MAX_CHARS = 64_000;

function parse(text: string, field: string): JsonInput<unknown> {
  if (text.length > JSON_INPUT_MAX_CHARS) return { ok: false, error: `${field}: at most ${JSON_INPUT_MAX_CHARS.toLocaleString('en')} characters` };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: `${field}: not valid JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}

/** A JSON array such as `[1, "a"]`; an empty text is `[]`. */
export function parseJsonArray(text: string, field: string): JsonInput<unknown[]> {
  if (text.trim() === '') return { ok: true, value: [] };
  const parsed = parse(text, field);
  if (!parsed.ok) return parsed;
  if (!Array.isArray(parsed.value)) return { ok: false, error: `${field}: must be a JSON array, such as [1, "a"]` };
  return { ok: true, value: parsed.value };
}

/** A JSON object such as `{"a": 1}`; an empty text is `{}`. */
export function parseJsonObject(text: string, field: string): JsonInput<Record<string, unknown>> {
  if (text.trim() === '') return { ok: true, value: {} };
  const parsed = parse(text, field);
  if (!parsed.ok) return parsed;
  const value = parsed.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, error: `${field}: must be a JSON object, such as {"a": 1}` };
  return { ok: true, value: value as Record<string, unknown> };
}

/** A stored value as the text an editor starts from: JSON pretty-printed, a string (Python's repr of a Celery task's args) as it is. */
export function editableJson(value: unknown, empty: string): string {
  if (value === null || value === undefined) return empty;
  if (typeof value === 'string') return value;
  return JSON.stringify(value, null, 2);
}
