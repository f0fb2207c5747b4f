import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidProgressError, SerializationError } from '../errors.js';
import { ProgressThrottle, checkProgress, taskReportMethods, type TaskLogEntry, type TaskProgressEntry } from './task-report.js';

describe('ProgressThrottle', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends the first report at once, holds later ones in the window and sends only the newest when it ends', () => {
    const sent: number[] = [];
    const throttle = new ProgressThrottle((e) => sent.push(e.progress), 250);
    throttle.push({ progress: 0.1 });
    throttle.push({ progress: 0.2 });
    throttle.push({ progress: 0.3 });
    expect(sent).toEqual([0.1]);
    vi.advanceTimersByTime(250);
    expect(sent).toEqual([0.1, 0.3]);
    // The next window starts at the timer's send: a report inside it waits too.
    throttle.push({ progress: 0.4 });
    expect(sent).toEqual([0.1, 0.3]);
    vi.advanceTimersByTime(250);
    expect(sent).toEqual([0.1, 0.3, 0.4]);
  });

  it('sends at most one report per window however many are pushed', () => {
    const sent: number[] = [];
    const throttle = new ProgressThrottle((e) => sent.push(e.progress), 250);
    for (let i = 0; i <= 1_000; i++) {
      throttle.push({ progress: i / 1_000 });
      vi.advanceTimersByTime(1);
    }
    throttle.flush();
    expect(sent.length).toBeLessThanOrEqual(6);
    expect(sent.at(-1)).toBe(1);
  });

  it('flush sends the held report now (the run ended) and then nothing more', () => {
    const sent: number[] = [];
    const throttle = new ProgressThrottle((e) => sent.push(e.progress), 250);
    throttle.push({ progress: 0.5 });
    throttle.push({ progress: 1 });
    throttle.flush();
    expect(sent).toEqual([0.5, 1]);
    vi.advanceTimersByTime(1_000);
    expect(sent).toEqual([0.5, 1]);
  });
});

describe('task report methods', () => {
  const setup = (): { progress: TaskProgressEntry[]; logs: TaskLogEntry[]; methods: ReturnType<typeof taskReportMethods> } => {
    const progress: TaskProgressEntry[] = [];
    const logs: TaskLogEntry[] = [];
    const methods = taskReportMethods(new ProgressThrottle((e) => progress.push(e), 0), (e) => logs.push(e));
    return { progress, logs, methods };
  };

  it('rejects a fraction that is not a finite number from 0 to 1 with InvalidProgressError', () => {
    for (const bad of [Number.NaN, Infinity, -0.01, 1.01, '0.5' as unknown as number]) expect(() => checkProgress(bad)).toThrow(InvalidProgressError);
    expect(checkProgress(0)).toBe(0);
    expect(checkProgress(1)).toBe(1);
  });

  it('checks meta and fields like args, at the call site', () => {
    const { methods, progress, logs } = setup();
    expect(() => methods.progress(0.5, { when: () => 1 })).toThrow(SerializationError);
    expect(() => methods.log('x', { n: 1n })).toThrow(SerializationError);
    expect(progress).toEqual([]);
    expect(logs).toEqual([]);
  });

  it('gives a logger with pino call shapes: (msg), (obj, msg), (err), child bindings', () => {
    const { methods, logs } = setup();
    methods.logger.info('plain');
    methods.logger.debug({ page: 2 }, 'with fields');
    methods.logger.warn({ msg: 'from obj', n: 1 });
    const err = new TypeError('bad input');
    methods.logger.child({ job: 'a' }).error(err);
    methods.log('line one\nline two');
    expect(logs).toEqual([
      { level: 'info', message: 'plain' },
      { level: 'debug', message: 'with fields', fields: { page: 2 } },
      { level: 'warn', message: 'from obj', fields: { n: 1 } },
      { level: 'error', message: 'bad input', fields: { job: 'a', err: { type: 'TypeError', message: 'bad input', stack: err.stack } } },
      { level: 'info', message: 'line one\nline two' },
    ]);
  });
});
