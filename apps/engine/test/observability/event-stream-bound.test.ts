// The event stream's bounds on Redis: a process that appends large entries
// keeps the stream to about eventsMaxBytes, whatever eventsMaxLen allows, and a
// large flush goes out as entries of bounded size.
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { eventsKey } from '../../src/adapters/redis/keys.js';
import type { ByteSize } from '../../src/index.js';
import { harness, redisUrl, type Harness } from '../support.js';

describe('the event stream on Redis', () => {
  let h: Harness;
  const redis = new Redis(redisUrl);
  afterEach(async () => {
    await h.close();
  });
  afterAll(() => redis.disconnect());

  /** Appends `entries` entries of about 2 KB each (one event per flush), then reads the stream's length and size. */
  async function fill(eventsMaxBytes: ByteSize, entries: number): Promise<{ length: number; bytes: number }> {
    h = harness('redis');
    const app = h.app({ eventsMaxLen: 1_000_000, eventsMaxBytes });
    const padding = 'x'.repeat(2_000);
    for (let i = 0; i < entries; i++) {
      app.events.emit({ type: 'task-log', id: `t${i}`, name: 'bound.test', queue: 'default', retries: 0, level: 'info', message: padding });
      await app.events.flush();
    }
    const key = eventsKey(h.prefix);
    return { length: await redis.xlen(key), bytes: Number(await redis.memory('USAGE', key)) };
  }

  it('keeps about eventsMaxBytes of entries, fewer than eventsMaxLen would keep', async () => {
    const bounded = await fill('1mb', 2_000);
    // About 1 MiB / 2.2 KB ≈ 470 entries; Redis trims whole nodes of 100 entries (MAXLEN ~).
    expect(bounded.length).toBeGreaterThanOrEqual(400);
    expect(bounded.length).toBeLessThanOrEqual(600);
    expect(bounded.bytes).toBeLessThan(1.5 * 1_024 ** 2);
  });

  it('splits a large flush into entries of at most 32,000 characters, in order, and keeps a larger event whole', async () => {
    h = harness('redis');
    const app = h.app();
    // About 150,000 characters in one flush: a busy worker's, which as one string V8 would put in its slow large-object space.
    for (let i = 0; i < 500; i++) app.events.emit({ type: 'task-log', id: `t${i}`, name: 'split.test', queue: 'default', retries: 0, level: 'info', message: 'x'.repeat(200) });
    app.events.emit({ type: 'task-log', id: 'big', name: 'split.test', queue: 'default', retries: 0, level: 'info', message: 'y'.repeat(40_000) });
    await app.events.flush();
    const entries = (await redis.xrange(eventsKey(h.prefix), '-', '+')).map(([, fields]) => fields[1]!);
    expect(entries.length).toBeGreaterThan(4);
    for (const entry of entries.slice(0, -1)) expect(entry.length).toBeLessThanOrEqual(32_001);
    const events = entries.flatMap((entry) => JSON.parse(entry) as { id: string; seq: number }[]);
    expect(events.map((e) => e.id)).toEqual([...Array.from({ length: 500 }, (_, i) => `t${i}`), 'big']);
    expect(JSON.parse(entries.at(-1)!)).toHaveLength(1);
  });

  it('is bounded by eventsMaxLen alone when the bytes allow more', async () => {
    const unbounded = await fill('1gb', 1_000);
    expect(unbounded.length).toBe(1_000);
  });
});
