// The threads pool continues the run span in the thread: a handler there runs
// under the main thread's `run` span (remote parent), so the spans user code
// makes in the thread nest under it when the thread has an SDK registered.
import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';
import type * as OtelSdk from '@opentelemetry/sdk-trace-base';
import { fileURLToPath } from 'node:url';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { threadsPoolFixture, until } from '../support.js';
import type * as TracingApp from '../fixtures/tracing-app.js';

const require = createRequire(import.meta.url);
const { trace } = require('@opentelemetry/api') as typeof OtelApi;
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof OtelSdk;

const appModule = fileURLToPath(new URL('../fixtures/tracing-app.ts', import.meta.url));
const exporter = new InMemorySpanExporter();

describe('tracing on the threads pool', () => {
  let fixture: typeof TracingApp;
  let close: () => Promise<void>;
  beforeAll(async () => {
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    ({ fixture, close } = await threadsPoolFixture(() => import('../fixtures/tracing-app.js'), { appModule, concurrency: 1, name: 'tracing-threads' }));
  }, 60_000);
  afterAll(async () => {
    await close();
    trace.disable();
  });

  it("runs the handler in its thread under the main thread's run span", async () => {
    const seen = await (await fixture.whereAmI.delay()).get({ timeout: 20_000 });
    await until(() => exporter.getFinishedSpans().some((s) => s.name === 'run trace.thread.where'));
    const run = exporter.getFinishedSpans().find((s) => s.name === 'run trace.thread.where') as ReadableSpan;
    expect(seen).toEqual({ traceId: run.spanContext().traceId, spanId: run.spanContext().spanId });
  });
});
