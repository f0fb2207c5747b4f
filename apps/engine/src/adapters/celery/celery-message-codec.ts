// Celery's protocol v2 as a MessageCodec: a kombu envelope in the queue list
// becomes the engine's TaskMessage, and a TaskMessage (a Lovage producer's call,
// or a retry) becomes a protocol v2 envelope a Python worker runs.
//
// What the TaskMessage does not model travels in its headers, under Lovage's
// names, so a retry re-publishes it unchanged: rootId and parentId (which the
// event stream already reads), groupId, groupIndex, timeLimit and softTimeLimit
// (seconds, as Celery's timelimit header; the worker honours them),
// ignoreResult, replyTo, shadow, origin, lang, redelivered, and the canvas
// embed when there is one. kwargs travel as TaskMessage.kwargs. Trace context
// (W3C traceparent, tracestate, baggage) travels as plain message headers of
// those names, where Celery's own OpenTelemetry instrumentation puts it: a
// Python worker ignores them or, instrumented, continues the trace.
//
// Celery messages carry no attempt history, so `attempts` starts empty on
// every delivery; `retries` is Celery's header.
import { SerializationError } from '../../errors.js';
import type { TaskMessage } from '../../task/message.js';
import type { DecodeResult, MessageCodec } from '../../task/message-codec.js';
import { encodeArgs, fromJsonValue, toJsonValue } from '../../task/serialization.js';
import { TRACE_HEADERS } from '../../tracing/tracing.js';
import { CeleryWireError } from './celery-wire-error.js';
import { serializeEnvelope } from './kombu-envelope.js';
import type { KombuDialect } from './kombu-json.js';
import { decodeTaskMessage, encodeTaskMessage, type CeleryEmbed, type CeleryTaskMessage } from './task-message.js';

export interface CeleryCodecOptions {
  /** How dates go out in args and kwargs; Debian's Celery 5.2.6 reads 'kombu-5.2'. */
  dialect: KombuDialect;
  /** The `origin` header of messages this process sends (Celery writes gen<pid>@<host>). */
  origin: string;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const number = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/** The message's trace context headers, or undefined when it has none. */
function traceHeaders(h: Record<string, unknown>): Record<string, string> | undefined {
  let found: Record<string, string> | undefined;
  for (const name of TRACE_HEADERS) {
    const value = h[name];
    if (typeof value === 'string') (found ??= {})[name] = value;
  }
  return found;
}

function hasEmbed(embed: CeleryEmbed): boolean {
  return embed.callbacks !== null || embed.errbacks !== null || embed.chain !== null || embed.chord !== null;
}

/**
 * Celery's fields the TaskMessage has no place for, without the absent ones (they would show as nulls in events).
 * Only the present ones are added: deleting the others would turn the object into a slow dictionary-mode one.
 */
function headersOf(c: CeleryTaskMessage): Record<string, unknown> {
  const headers: Record<string, unknown> = {};
  if (c.rootId !== undefined) headers.rootId = c.rootId;
  if (c.parentId !== undefined) headers.parentId = c.parentId;
  if (c.groupId !== undefined) headers.groupId = c.groupId;
  if (c.groupIndex !== undefined) headers.groupIndex = c.groupIndex;
  if (c.timeLimit !== undefined) headers.timeLimit = c.timeLimit;
  if (c.softTimeLimit !== undefined) headers.softTimeLimit = c.softTimeLimit;
  if (c.ignoreResult) headers.ignoreResult = true;
  if (c.replyTo !== '' && c.replyTo !== undefined) headers.replyTo = c.replyTo;
  if (c.shadow !== undefined) headers.shadow = c.shadow;
  if (c.origin !== undefined) headers.origin = c.origin;
  if (c.lang !== undefined) headers.lang = c.lang;
  if (c.redelivered) headers.redelivered = true;
  if (hasEmbed(c.embed)) headers.embed = c.embed;
  for (const name of TRACE_HEADERS) if (typeof c.headers[name] === 'string') headers[name] = c.headers[name];
  return headers;
}

export class CeleryMessageCodec implements MessageCodec {
  constructor(private readonly options: CeleryCodecOptions) {}

  encode(m: TaskMessage): string {
    const h = m.headers;
    const embed = h.embed as Partial<CeleryEmbed> | undefined;
    return serializeEnvelope(
      encodeTaskMessage(
        {
          id: m.id,
          task: m.task,
          args: fromJsonValue(m.args) as unknown[],
          kwargs: fromJsonValue(m.kwargs ?? {}) as Record<string, unknown>,
          queue: m.queue,
          eta: m.eta === undefined ? undefined : new Date(m.eta),
          expires: m.expires === undefined ? undefined : new Date(m.expires),
          priority: m.priority,
          retries: m.retries,
          rootId: text(h.rootId),
          parentId: text(h.parentId),
          groupId: text(h.groupId),
          groupIndex: number(h.groupIndex),
          timeLimit: number(h.timeLimit),
          softTimeLimit: number(h.softTimeLimit),
          shadow: text(h.shadow),
          replyTo: text(h.replyTo),
          ignoreResult: h.ignoreResult === true,
          embed: typeof embed === 'object' && embed !== null ? embed : undefined,
          origin: this.options.origin,
          extraHeaders: traceHeaders(h),
        },
        this.options.dialect,
      ),
    );
  }

  decode(body: string): DecodeResult {
    let c: CeleryTaskMessage;
    let args: unknown[];
    let kwargs: Record<string, unknown>;
    try {
      c = decodeTaskMessage(body);
      // Into the engine's JSON form (dates tagged), like a Lovage producer's arguments.
      args = encodeArgs(c.args);
      kwargs = toJsonValue(c.kwargs, 'kwargs') as Record<string, unknown>;
    } catch (err) {
      // Whatever the codec cannot read is the message's fault: a reason for its dead letter, never a crash.
      const known = err instanceof CeleryWireError || err instanceof SerializationError;
      return { ok: false, reason: `malformed message: ${known ? err.message : String(err)}` };
    }
    return {
      ok: true,
      message: {
        v: 1,
        id: c.id,
        task: c.task,
        args,
        kwargs: Object.keys(kwargs).length === 0 ? undefined : kwargs,
        queue: c.routingKey,
        // On Redis a Celery priority picks a sub-queue (0 served first); kept as sent, clamped like kombu.
        priority: Math.max(0, Math.min(9, c.priority)),
        eta: c.eta?.getTime(),
        expires: c.expires?.getTime(),
        retries: c.retries,
        headers: headersOf(c),
        attempts: [],
        // A Celery message does not say when it was sent: when it was read is the best there is.
        sentAt: Date.now(),
      },
    };
  }
}
