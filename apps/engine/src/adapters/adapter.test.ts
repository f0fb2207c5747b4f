import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { requirePort, type Adapter } from './adapter.js';
import { createAdapter } from './create-adapter.js';

describe('adapters', () => {
  // A backend that offers only some ports, as an amqp:// adapter will (no schedule store, no results).
  const partial: Adapter = { kind: 'amqp', url: 'amqp://guest:secret@rabbit:5672', close: () => Promise.resolve() };

  it('names the missing port, the feature that needs it and the option to change, without the password', () => {
    const err = (() => {
      try {
        requirePort(partial, 'scheduleStore', 'beat and app.schedules');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(
      'broker: the amqp adapter (amqp://***@rabbit:5672) offers no scheduleStore (a schedule store), which beat and app.schedules needs; set `broker` to a backend that has one (redis:// or memory://)',
    );
    expect(() => requirePort(partial, 'resultBackend', 'storing results')).toThrow(/^backend: /);
  });

  it('builds each port once and refuses an unknown scheme naming the option', async () => {
    const memory = createAdapter('memory://adapter-test', 'a:');
    expect(requirePort(memory, 'broker', 'test')).toBe(requirePort(memory, 'broker', 'test'));
    await memory.close();
    expect(() => createAdapter('kafka://x', 'a:', 'backend')).toThrow(/^backend: unsupported URL scheme/);
  });

  it("picks the Celery adapter for a Redis URL with protocol 'celery', and refuses memory:// naming the option", async () => {
    const celery = { protocol: 'celery', keyPrefix: '', visibilityTimeoutMs: 3_600_000 } as const;
    const adapter = createAdapter('redis://127.0.0.1:6379/0', 'a:', 'broker', undefined, celery);
    expect(adapter.kind).toBe('celery');
    await adapter.close();
    expect(() => createAdapter('memory://x', 'a:', 'backend', undefined, celery)).toThrow(/^backend: protocol 'celery' needs a redis:\/\//);
  });
});
