// OpenTelemetry tracing on the memory, Redis and RabbitMQ adapters and in
// Celery's protocol, seen through the SDK's in-memory exporter: one trace from
// delay() through the run (with the handler's own span nested under the run),
// attempts of a retried task as siblings, canvas members as children of their
// parent's span, and the traceparent in the message and the trace id in the
// task events.
import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';
import type * as OtelContext from '@opentelemetry/context-async-hooks';
import type * as OtelCore from '@opentelemetry/core';
import type * as OtelSdk from '@opentelemetry/sdk-trace-base';
import type { Span } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chain, chord, currentTask, group, type LovageEvent, type Lovage } from '../../src/index.js';
import { harness, until, type Harness, type Kind } from '../support.js';

// Loaded the way the engine loads the API (require: the packages' CommonJS builds), so both share one copy.
const require = createRequire(import.meta.url);
const { context, propagation, trace, SpanKind, SpanStatusCode } = require('@opentelemetry/api') as typeof OtelApi;
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks') as typeof OtelContext;
const { W3CTraceContextPropagator } = require('@opentelemetry/core') as typeof OtelCore;
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof OtelSdk;

const exporter = new InMemorySpanExporter();
const userTracer = (): ReturnType<typeof trace.getTracer> => trace.getTracer('user-code');

beforeAll(() => {
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});

afterAll(() => {
  trace.disable();
  context.disable();
  propagation.disable();
});

const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
const named = (name: string): ReadableSpan[] => spans().filter((s) => s.name === name);
const one = (name: string): ReadableSpan => {
  const found = named(name);
  expect(found.map((s) => s.name)).toEqual([name]);
  return found[0]!;
};
const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId;
const idOf = (s: ReadableSpan): string => s.spanContext().spanId;
const traceOf = (s: ReadableSpan): string => s.spanContext().traceId;

/** Task events from the stream until `stop` is satisfied. */
async function collect(app: Lovage, stop: (events: LovageEvent[]) => boolean): Promise<LovageEvent[]> {
  const seen: LovageEvent[] = [];
  for await (const batch of app.events.subscribe({ group: 'tracing', consumer: 'c1', fromId: '0', blockMs: 50, signal: AbortSignal.timeout(15_000) })) {
    seen.push(...batch.events);
    await batch.ack();
    if (stop(seen)) break;
  }
  return seen;
}

const fast = { eventsFlushInterval: 2 } as const;

/** A fresh harness (and an empty exporter) for each test of the describe block that calls it. */
function useHarness(kind: Kind): () => Harness {
  let h: Harness | undefined;
  beforeEach(() => {
    exporter.reset();
    h = harness(kind);
  });
  afterEach(async () => {
    await h?.close();
  });
  return () => h!;
}

describe.each<Kind>(['memory', 'redis', 'amqp'])('tracing on the %s adapter', (kind) => {
  const use = useHarness(kind);

  it('traces delay() through the run in one trace, with traceparent in the message and the handler span nested in the run', async () => {
    const app = use().app(fast);
    const add = app.task('trace.add', (a: number, b: number) =>
      userTracer().startActiveSpan('user-work', (span: Span) => {
        span.end();
        return { sum: a + b, traceparent: currentTask().headers.traceparent };
      }),
    );
    await use().worker(app);
    const request = userTracer().startSpan('http request');
    const result = await context.with(trace.setSpan(context.active(), request), () => add.delay(2, 3));
    request.end();
    const value = await result.get({ timeout: 15_000 });
    await until(() => named('run trace.add').length === 1);

    const root = one('http request');
    const send = one('send trace.add');
    const run = one('run trace.add');
    const user = one('user-work');
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(run.kind).toBe(SpanKind.CONSUMER);
    expect(new Set([traceOf(root), traceOf(send), traceOf(run), traceOf(user)]).size).toBe(1);
    expect(parentOf(send)).toBe(idOf(root));
    expect(parentOf(run)).toBe(idOf(send));
    expect(parentOf(user)).toBe(idOf(run));
    // The worker read the producer's context from the message itself.
    expect(value).toEqual({ sum: 5, traceparent: `00-${traceOf(send)}-${idOf(send)}-01` });
    expect(send.attributes).toMatchObject({
      'messaging.system': 'lovage',
      'messaging.operation.type': 'send',
      'messaging.destination.name': app.config.defaultQueue,
      'messaging.message.id': result.id,
      'lovage.task.name': 'trace.add',
      'lovage.task.id': result.id,
      'lovage.queue': app.config.defaultQueue,
    });
    expect(run.attributes).toMatchObject({
      'messaging.operation.type': 'process',
      'lovage.task.name': 'trace.add',
      'lovage.task.id': result.id,
      'lovage.queue': app.config.defaultQueue,
      'lovage.task.attempt': 1,
      'lovage.task.outcome': 'SUCCESS',
    });
    expect(run.status.code).toBe(SpanStatusCode.UNSET);

    // The monitor learns the trace id from task-sent and task-received.
    const events = await collect(app, (seen) => seen.some((e) => e.type === 'task-received' && e.id === result.id) && seen.some((e) => e.type === 'task-sent'));
    const sent = events.find((e) => e.type === 'task-sent' && e.id === result.id);
    const received = events.find((e) => e.type === 'task-received' && e.id === result.id);
    expect(sent && 'traceId' in sent ? sent.traceId : undefined).toBe(traceOf(send));
    expect(received && 'traceId' in received ? received.traceId : undefined).toBe(traceOf(send));
  });

  it('makes the attempts of a retried task siblings under its send span, and records each error', async () => {
    const app = use().app();
    class Flaky extends Error {
      override name = 'Flaky';
    }
    const flaky = app.task(
      'trace.flaky',
      () => {
        if (currentTask().retries < 2) throw new Flaky(`try ${currentTask().retries + 1}`);
        return 'ok';
      },
      { autoretryFor: [Flaky], maxRetries: 3, defaultRetryDelay: 10, retryJitter: false, retryBackoff: false },
    );
    await use().worker(app);
    const result = await flaky.delay();
    expect(await result.get({ timeout: 15_000 })).toBe('ok');
    await until(() => named('run trace.flaky').length === 3);

    const send = one('send trace.flaky');
    const runs = named('run trace.flaky').sort((a, b) => Number(a.attributes['lovage.task.attempt']) - Number(b.attributes['lovage.task.attempt']));
    expect(runs.map((r) => parentOf(r))).toEqual([idOf(send), idOf(send), idOf(send)]);
    expect(runs.map((r) => traceOf(r))).toEqual([traceOf(send), traceOf(send), traceOf(send)]);
    expect(runs.map((r) => [r.attributes['lovage.task.attempt'], r.attributes['lovage.task.outcome']])).toEqual([
      [1, 'RETRY'],
      [2, 'RETRY'],
      [3, 'SUCCESS'],
    ]);
    expect(runs[0]!.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'Flaky: try 1' });
    expect(runs[0]!.events.map((e) => [e.name, e.attributes?.['exception.type']])).toEqual([['exception', 'Flaky']]);
    expect(runs[2]!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('records a failure on the run span', async () => {
    const app = use().app();
    const bad = app.task('trace.bad', () => {
      throw new TypeError('broken input');
    });
    await use().worker(app);
    const result = await bad.delay();
    await expect(result.get({ timeout: 15_000 })).rejects.toThrow('broken input');
    await until(() => named('run trace.bad').length === 1);
    const run = one('run trace.bad');
    expect(run.attributes['lovage.task.outcome']).toBe('FAILURE');
    expect(run.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'TypeError: broken input' });
    expect(run.events[0]?.attributes).toMatchObject({ 'exception.type': 'TypeError', 'exception.message': 'broken input' });
  });

  it('links a task sent from inside a running task to that run', async () => {
    const app = use().app();
    const leaf = app.task('trace.leaf', () => 'leaf');
    const outer = app.task('trace.outer', async () => {
      await leaf.delay();
      return 'sent';
    });
    await use().worker(app);
    await (await outer.delay()).get({ timeout: 15_000 });
    await until(() => named('run trace.leaf').length === 1);
    expect(parentOf(one('send trace.leaf'))).toBe(idOf(one('run trace.outer')));
    expect(parentOf(one('run trace.leaf'))).toBe(idOf(one('send trace.leaf')));
    expect(new Set(spans().map(traceOf)).size).toBe(1);
  });

  it('gives each message of a bulk enqueue its own send span and traceparent', async () => {
    const app = use().app();
    const echo = app.task('trace.bulk', () => currentTask().headers.traceparent);
    await use().worker(app);
    const results = await echo.bulkApply([[], [], []]);
    const parents = await Promise.all(results.map((r) => r.get({ timeout: 15_000 })));
    await until(() => named('run trace.bulk').length === 3);
    const sends = named('send trace.bulk');
    expect(sends).toHaveLength(3);
    expect(new Set(parents).size).toBe(3);
    expect(parents.sort()).toEqual(sends.map((s) => `00-${traceOf(s)}-${idOf(s)}-01`).sort());
  });
});

// The canvas suite runs on these two (on amqp a chord's join enqueues its callback in the Redis store's queues).
describe.each<Kind>(['memory', 'redis'])('canvas tracing on the %s adapter', (kind) => {
  const use = useHarness(kind);

  it('puts every member of a chain and a chord in one trace, each a child of its parent', async () => {
    const app = use().app();
    const add = app.task('trace.c.add', (a: number, b: number) => a + b);
    const sum = app.task('trace.c.sum', (values: number[]) => values.reduce((x, y) => x + y, 0));
    await use().worker(app);

    const chained = await chain(add.s(1, 2), add.s(10)).applyAsync();
    expect(await chained.get({ timeout: 15_000 })).toBe(13);
    await until(() => named('run trace.c.add').length === 2);
    const apply = one('apply chain');
    const [first, second] = named('send trace.c.add').sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
    const runs = named('run trace.c.add');
    const runOf = (send: ReadableSpan): ReadableSpan => runs.find((r) => parentOf(r) === idOf(send))!;
    expect(parentOf(apply)).toBeUndefined();
    expect(parentOf(first!)).toBe(idOf(apply));
    // The second step is sent by the worker when the first ends: under the first's run span.
    expect(parentOf(second!)).toBe(idOf(runOf(first!)));
    expect(runOf(second!)).toBeDefined();
    expect(new Set(spans().map(traceOf)).size).toBe(1);

    exporter.reset();
    const chorded = await chord(group([add.s(1, 1), add.s(2, 2)]), sum.s()).applyAsync();
    expect(await chorded.get({ timeout: 15_000 })).toBe(6);
    await until(() => named('run trace.c.sum').length === 1 && named('run trace.c.add').length === 2);
    const chordApply = one('apply chord');
    const members = named('send trace.c.add');
    expect(members.map(parentOf)).toEqual([idOf(chordApply), idOf(chordApply)]);
    expect(named('run trace.c.add').map(parentOf).sort()).toEqual(members.map(idOf).sort());
    // The join enqueues the callback itself: it continues the context that applied the chord.
    expect(parentOf(one('run trace.c.sum'))).toBe(idOf(chordApply));
    expect(new Set(spans().map(traceOf)).size).toBe(1);
  });
});

describe("tracing in Celery's protocol on Redis", () => {
  const use = useHarness('redis');

  it('carries traceparent in the Celery message headers: one trace through the run, retried attempts as siblings', async () => {
    const app = use().app({ protocol: 'celery', celeryKeyPrefix: `${use().prefix}:kombu:` });
    const flaky = app.task(
      'trace.celery.flaky',
      () => {
        if (currentTask().retries < 1) throw currentTask().retry({ countdown: 10, exc: new Error('once more') });
        return currentTask().headers.traceparent;
      },
      { maxRetries: 3 },
    );
    await use().worker(app);
    const result = await flaky.delay();
    const traceparent = await result.get({ timeout: 15_000 });
    await until(() => named('run trace.celery.flaky').length === 2);
    const send = one('send trace.celery.flaky');
    expect(traceparent).toBe(`00-${traceOf(send)}-${idOf(send)}-01`);
    const runs = named('run trace.celery.flaky');
    expect(runs.map(parentOf)).toEqual([idOf(send), idOf(send)]);
    expect(runs.map((r) => r.attributes['lovage.task.outcome']).sort()).toEqual(['RETRY', 'SUCCESS']);
  });
});
