import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Coalescer, Throttled } from './coalescer.js';

describe('Coalescer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends the first change at once, then at most one batch per interval with the latest value per key, in order of last change', () => {
    const batches: [number, string[]][] = [];
    const coalescer = new Coalescer<string>(100, (values) => batches.push([Date.now(), values]));
    const start = Date.now();
    coalescer.add('a', 'a1');
    vi.advanceTimersByTime(0);
    expect(batches).toEqual([[start, ['a1']]]);
    // 1,000 changes over 250 ms on three keys.
    for (let i = 0; i < 1_000; i++) {
      coalescer.add(['a', 'b', 'c'][i % 3]!, `${['a', 'b', 'c'][i % 3]}${i}`);
      vi.advanceTimersByTime(0.25);
    }
    vi.advanceTimersByTime(200);
    const times = batches.map(([at]) => at - start);
    expect(times).toEqual([0, 100, 200, 300]);
    expect(batches.at(-1)![1]).toEqual(['a999', 'b997', 'c998'].sort((x, y) => Number(x.slice(1)) - Number(y.slice(1))));
    for (const [, values] of batches) expect(new Set(values.map((v) => v[0])).size).toBe(values.length);
  });

  it('merges a pending value with the next one when asked', () => {
    const batches: number[][] = [];
    const coalescer = new Coalescer<number>(100, (values) => batches.push(values));
    coalescer.add('n', 1);
    vi.advanceTimersByTime(0);
    coalescer.add('n', 2, (a, b) => a + b);
    coalescer.add('n', 3, (a, b) => a + b);
    vi.advanceTimersByTime(100);
    expect(batches).toEqual([[1], [5]]);
  });

  it('sends nothing after close', () => {
    const batches: number[][] = [];
    const coalescer = new Coalescer<number>(100, (values) => batches.push(values));
    coalescer.add('n', 1);
    coalescer.close();
    coalescer.add('n', 2);
    vi.advanceTimersByTime(500);
    expect(batches).toEqual([]);
  });
});

describe('Throttled', () => {
  it('never runs twice at once and folds requests made during a run into one more run', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const throttled = new Throttled(
      10,
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        runs++;
        await new Promise((resolve) => setTimeout(resolve, 30));
        running--;
      },
      (error) => {
        throw error;
      },
    );
    throttled.request();
    await new Promise((resolve) => setTimeout(resolve, 5));
    for (let i = 0; i < 10; i++) throttled.request();
    await new Promise((resolve) => setTimeout(resolve, 150));
    await throttled.close();
    expect(maxRunning).toBe(1);
    expect(runs).toBe(2);
  });
});
