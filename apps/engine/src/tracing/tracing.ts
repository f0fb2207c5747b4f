// OpenTelemetry tracing of task messages, through `@opentelemetry/api` when
// the application has it installed (an optional peer dependency: no SDK is
// bundled). The API is looked up once, on first use; when it is absent every
// hook below is one check of a cached `null`, so an app without OpenTelemetry
// pays nothing. With the API but nothing registered (no SDK's tracer provider
// and no propagator), the hooks stop after a few property reads, before any
// span is made (see registered()).
//
// What travels: the producer's context goes into the message's headers through
// the global propagator (the SDK's default writes W3C `traceparent` and
// `tracestate`), plain string headers that every wire format carries as they
// are. Spans:
// - `send <task>` (PRODUCER): one per published message, a child of the
//   caller's active span, or of the context the message already carries (a
//   message written to the outbox inside a transaction keeps that span as
//   its parent when the relay publishes it).
// - `run <task>` (CONSUMER): one per attempt, from the start of the handler to
//   the settled outcome, a child of the context in the message. A retry is
//   re-published with the headers it came with, so the attempts of one task
//   are siblings under the same `send` span, never children of each other.
//   The span is active while the handler runs (user spans nest under it) and
//   while the canvas carries on, so the next chain step's `send` is its child.
// - `apply <canvas>` (INTERNAL): around applying a chain, group or chord, so
//   its members (and a chord's callback, which the broker enqueues itself)
//   share one trace even when the caller has no span of its own.
import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';
import type { TaskMessage } from '../task/message.js';

type Api = typeof OtelApi;

const TRACER_NAME = '@lovage/engine';
const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

let api: Api | null | undefined;
let tracerOf: { provider: OtelApi.TracerProvider; tracer: OtelApi.Tracer } | undefined;

/** The OpenTelemetry API if the app can import it, else null (looked up once). */
function otel(): Api | null {
  if (api === undefined) {
    try {
      api = createRequire(import.meta.url)('@opentelemetry/api') as Api;
    } catch {
      // Not installed: tracing stays off for the life of the process.
      api = null;
    }
  }
  return api;
}

/** The engine's tracer from the provider registered now (a test or an app may register one late). */
function tracer(a: Api): OtelApi.Tracer {
  const provider = a.trace.getTracerProvider();
  if (tracerOf?.provider !== provider) tracerOf = { provider, tracer: provider.getTracer(TRACER_NAME, VERSION) };
  return tracerOf.tracer;
}

/**
 * The API when the app has registered something with it: an SDK's tracer
 * provider, or a propagator (the no-op one lists no fields). Null otherwise,
 * or when the API is absent. Checked on every call, since an app may register
 * an SDK after the worker starts.
 */
function registered(): Api | null {
  const a = otel();
  if (!a || a.propagation.fields().length > 0) return a;
  const provider = a.trace.getTracerProvider();
  const idle = provider instanceof a.ProxyTracerProvider && typeof provider.getDelegateTracer === 'function' && provider.getDelegateTracer(TRACER_NAME) === undefined;
  return idle ? null : a;
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}/;

/**
 * The W3C trace id a message carries in its `traceparent` header, or undefined.
 * Read from the header itself (no OpenTelemetry needed), so a monitor learns it
 * from the events whatever the worker has installed, also from a Python
 * producer's traceparent.
 */
export function traceIdOf(headers: Readonly<Record<string, unknown>>): string | undefined {
  const value = headers.traceparent;
  if (typeof value !== 'string') return undefined;
  const id = TRACEPARENT.exec(value)?.[1];
  return id === undefined || id === '00000000000000000000000000000000' ? undefined : id;
}

/** The header names trace context travels in (W3C trace context and baggage), for wire formats that list headers. */
export const TRACE_HEADERS = ['traceparent', 'tracestate', 'baggage'] as const;

function messageAttributes(m: TaskMessage): OtelApi.Attributes {
  const attributes: OtelApi.Attributes = {
    'messaging.system': 'lovage',
    'messaging.destination.name': m.queue,
    'messaging.message.id': m.id,
    'lovage.task.name': m.task,
    'lovage.task.id': m.id,
    'lovage.queue': m.queue,
  };
  const h = m.headers;
  if (typeof h.rootId === 'string' && h.rootId !== m.id) attributes['lovage.task.root_id'] = h.rootId;
  if (typeof h.parentId === 'string') attributes['lovage.task.parent_id'] = h.parentId;
  if (typeof h.groupId === 'string') attributes['lovage.task.group_id'] = h.groupId;
  return attributes;
}

/** A `send` span being published. */
export interface SendSpan {
  /** Ends the span; `error` when the broker refused the message. */
  end(error?: unknown): void;
}

/**
 * Starts the `send` span of a message about to be published and writes its
 * context into the message's headers (so call it before encoding). Undefined
 * when OpenTelemetry is not installed.
 */
export function startSend(message: TaskMessage): SendSpan | undefined {
  const a = registered();
  if (!a) return undefined;
  const active = a.context.active();
  const h = message.headers;
  // A message that already carries a context (the outbox's, a caller's) keeps it as its parent.
  const parent = typeof h.traceparent === 'string' ? a.propagation.extract(active, h) : active;
  const span = tracer(a).startSpan(`send ${message.task}`, { kind: a.SpanKind.PRODUCER }, parent);
  // No SDK registered (the API's no-op tracer): nothing to record or propagate, and nothing more to pay.
  if (!a.trace.isSpanContextValid(span.spanContext())) return undefined;
  if (span.isRecording()) {
    span.setAttributes({
      ...messageAttributes(message),
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'lovage.task.priority': message.priority,
      ...(message.eta === undefined ? {} : { 'lovage.task.eta': new Date(message.eta).toISOString() }),
    });
  }
  a.propagation.inject(a.trace.setSpan(parent, span), h);
  return {
    end(error?: unknown) {
      if (error !== undefined) fail(a, span, error);
      span.end();
    },
  };
}

/** The `send` spans of messages about to be published (see startSend); undefined when none records. */
export function startSends(messages: readonly TaskMessage[]): SendSpan[] | undefined {
  if (!otel()) return undefined;
  let spans: SendSpan[] | undefined;
  for (const m of messages) {
    const span = startSend(m);
    if (span) (spans ??= []).push(span);
  }
  return spans;
}

/** Ends the spans startSends returned; `error` when the broker refused the messages. */
export function endSends(spans: readonly SendSpan[] | undefined, error?: unknown): void {
  if (spans) for (const span of spans) span.end(error);
}

/** Writes the caller's active context into headers (no span): a message stored now and published later. */
export function injectActive(headers: Record<string, unknown>): void {
  const a = otel();
  if (!a) return;
  a.propagation.inject(a.context.active(), headers);
}

/** Runs `fn` under an `apply <kind>` span (a canvas being applied); without OpenTelemetry just runs it. */
export async function inApplySpan<T>(kind: string, fn: () => Promise<T>): Promise<T> {
  const a = otel();
  if (!a) return fn();
  const span = tracer(a).startSpan(`apply ${kind}`, { kind: a.SpanKind.INTERNAL, attributes: { 'messaging.system': 'lovage', 'lovage.canvas': kind } });
  try {
    return await a.context.with(a.trace.setSpan(a.context.active(), span), fn);
  } catch (err) {
    fail(a, span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** How an attempt ended, as the `lovage.task.outcome` attribute says it. */
export type RunOutcome = 'SUCCESS' | 'RETRY' | 'FAILURE' | 'REVOKED' | 'REJECTED' | 'REQUEUED' | 'HANDED_BACK';

/** A `run` span: one attempt of a task on a worker. */
export interface RunSpan {
  /** Runs `fn` with the span active (the handler, and the canvas carrying on after it). */
  with<T>(fn: () => T): T;
  /** The span's context as headers, for a thread of the threads pool to continue it. */
  carrier(): Record<string, string>;
  /** Says how the attempt ended; an error is recorded on the span (a failure's, or the one a retry was for). */
  outcome(outcome: RunOutcome, error?: unknown): void;
  end(): void;
}

/** Starts the `run` span of one attempt, a child of the context in the message. Undefined without OpenTelemetry. */
export function startRun(message: TaskMessage, hostname: string): RunSpan | undefined {
  const a = registered();
  if (!a) return undefined;
  const parent = a.propagation.extract(a.ROOT_CONTEXT, message.headers);
  const span = tracer(a).startSpan(`run ${message.task}`, { kind: a.SpanKind.CONSUMER }, parent);
  // No SDK registered: the worker runs as without OpenTelemetry.
  if (!a.trace.isSpanContextValid(span.spanContext())) return undefined;
  if (span.isRecording()) {
    span.setAttributes({
      ...messageAttributes(message),
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'run',
      'lovage.task.attempt': message.retries + 1,
      'lovage.task.retries': message.retries,
      'lovage.worker.hostname': hostname,
    });
  }
  const active = a.trace.setSpan(parent, span);
  return {
    with: (fn) => a.context.with(active, fn),
    carrier() {
      const carrier: Record<string, string> = {};
      a.propagation.inject(active, carrier);
      return carrier;
    },
    outcome(outcome, error) {
      span.setAttribute('lovage.task.outcome', outcome);
      if (error !== undefined) fail(a, span, error);
    },
    end: () => span.end(),
  };
}

/** In a thread of the threads pool: runs `fn` under the context the main thread's run span sent. */
export function withCarriedContext<T>(carrier: Record<string, string> | undefined, fn: () => T): T {
  if (carrier === undefined) return fn();
  const a = otel();
  if (!a) return fn();
  return a.context.with(a.propagation.extract(a.context.active(), carrier), fn);
}

function fail(a: Api, span: OtelApi.Span, error: unknown): void {
  const e = error as { name?: unknown; message?: unknown; stack?: unknown } | null;
  const name = typeof e?.name === 'string' ? e.name : 'Error';
  const message = typeof e?.message === 'string' ? e.message : String(error);
  span.recordException({ name, message, stack: typeof e?.stack === 'string' ? e.stack : undefined });
  span.setStatus({ code: a.SpanStatusCode.ERROR, message: `${name}: ${message}` });
}
