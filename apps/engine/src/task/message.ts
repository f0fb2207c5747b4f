// The body a transport carries for one task run. JSON, versioned. The shape
// keeps Celery's vocabulary (id, task, args, eta, expires, retries, headers) so
// a Celery-compatible transport can translate it field by field.
import type { AttemptRecord } from '../result/record.js';

export interface TaskMessage {
  v: 1;
  id: string;
  task: string;
  args: unknown[];
  /**
   * Keyword arguments (Celery's kwargs), JSON-encoded like args. When not empty
   * the handler gets them as one trailing plain-object argument, and
   * `currentTask().kwargs`.
   */
  kwargs?: Record<string, unknown> | undefined;
  queue: string;
  priority: number;
  /** Epoch ms. */
  eta?: number | undefined;
  /** Epoch ms after which the task must not start. */
  expires?: number | undefined;
  retries: number;
  headers: Record<string, unknown>;
  /** Attempts so far, carried along so each retry's worker can extend the history without a read. */
  attempts: AttemptRecord[];
  sentAt: number;
}

// Checked by hand rather than with zod: this runs once per delivered message,
// on the hot path, and the shape is small and fixed.
function problem(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return '(root): expected an object';
  const m = raw as Record<string, unknown>;
  if (m.v !== 1) return 'v: expected 1';
  if (typeof m.id !== 'string' || m.id === '') return 'id: expected a non-empty string';
  if (typeof m.task !== 'string' || m.task === '') return 'task: expected a non-empty string';
  if (!Array.isArray(m.args)) return 'args: expected an array';
  if (m.kwargs !== undefined && m.kwargs !== null && (typeof m.kwargs !== 'object' || Array.isArray(m.kwargs))) return 'kwargs: expected an object';
  if (typeof m.queue !== 'string') return 'queue: expected a string';
  if (typeof m.priority !== 'number' || !Number.isInteger(m.priority) || m.priority < 0 || m.priority > 9) return 'priority: expected an integer 0-9';
  if (m.eta !== undefined && m.eta !== null && typeof m.eta !== 'number') return 'eta: expected epoch ms';
  if (m.expires !== undefined && m.expires !== null && typeof m.expires !== 'number') return 'expires: expected epoch ms';
  if (typeof m.retries !== 'number' || !Number.isInteger(m.retries) || m.retries < 0) return 'retries: expected a non-negative integer';
  if (typeof m.headers !== 'object' || m.headers === null || Array.isArray(m.headers)) return 'headers: expected an object';
  if (!Array.isArray(m.attempts)) return 'attempts: expected an array';
  if (typeof m.sentAt !== 'number') return 'sentAt: expected epoch ms';
  return undefined;
}

/** The arguments a handler is called with: args, then kwargs as one trailing object when there are any. */
export function callArguments(message: Pick<TaskMessage, 'args' | 'kwargs'>): unknown[] {
  const kwargs = message.kwargs;
  return kwargs !== undefined && Object.keys(kwargs).length > 0 ? [...message.args, kwargs] : message.args;
}

/** Parses a body from the transport; returns the reason when it is malformed. */
export function parseMessage(body: string): { ok: true; message: TaskMessage } | { ok: false; reason: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    return { ok: false, reason: `malformed message: invalid JSON (${(err as Error).message})` };
  }
  const bad = problem(raw);
  if (bad !== undefined) return { ok: false, reason: `malformed message: ${bad}` };
  const message = raw as TaskMessage;
  if (message.eta === null) message.eta = undefined;
  if (message.expires === null) message.expires = undefined;
  if (message.kwargs === null) message.kwargs = undefined;
  return { ok: true, message };
}
