// With @opentelemetry/api installed but nothing registered (no tracer
// provider, no propagator: an app that does not trace), tasks run as ever, no
// trace headers are added to messages and no event carries a trace id.
import { afterEach, describe, expect, it } from 'vitest';
import { chain, currentTask, type LovageEvent } from '../../src/index.js';
import { harness, type Harness } from '../support.js';

describe('without a tracer registered', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('runs tasks, retries and a chain on Redis with no trace headers and no trace ids in the events', async () => {
    h = harness('redis');
    const app = h.app({ eventsFlushInterval: 2 });
    const headers = app.task('plain.headers', () => currentTask().headers);
    const flaky = app.task(
      'plain.flaky',
      () => {
        if (currentTask().retries < 1) throw currentTask().retry({ countdown: 10 });
        return 'ok';
      },
    );
    const add = app.task('plain.add', (a: number, b: number) => a + b);
    await h.worker(app);
    const seen = await (await headers.delay()).get({ timeout: 15_000 });
    expect(Object.keys(seen)).not.toContain('traceparent');
    expect(await (await flaky.delay()).get({ timeout: 15_000 })).toBe('ok');
    expect(await (await chain(add.s(1, 2), add.s(3)).applyAsync()).get({ timeout: 15_000 })).toBe(6);

    const events: LovageEvent[] = [];
    for await (const batch of app.events.subscribe({ group: 'plain', consumer: 'c1', fromId: '0', blockMs: 50, signal: AbortSignal.timeout(15_000) })) {
      events.push(...batch.events);
      await batch.ack();
      if (events.filter((e) => e.type === 'task-succeeded').length >= 4) break;
    }
    const withTrace = events.filter((e) => 'traceId' in e);
    expect(events.filter((e) => e.type === 'task-sent').length).toBeGreaterThanOrEqual(3);
    expect(withTrace).toEqual([]);
  });
});
