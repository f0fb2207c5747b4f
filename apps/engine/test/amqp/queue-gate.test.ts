// The store beside an amqp:// broker keeps its pause flags and concurrency
// slots (src/adapters/queue-gate.ts): the same rules on the Redis store (its
// take-slots script) and the memory store, each seen from two adapters.
import { uniquePrefix } from '@lovage/test-support/redis';
import { afterEach, describe, expect, it } from 'vitest';
import type { Adapter } from '../../src/adapters/adapter.js';
import { createAdapter } from '../../src/adapters/create-adapter.js';
import type { QueueGate } from '../../src/adapters/queue-gate.js';
import { deleteTestKeys, redisUrl } from '../support.js';

for (const kind of ['redis', 'memory'] as const) {
  describe(`queue gate on the ${kind} store`, () => {
    const adapters: Adapter[] = [];
    let prefix = '';
    const gate = (): QueueGate => {
      const adapter = createAdapter(kind === 'redis' ? redisUrl : `memory://${prefix}`, prefix);
      adapters.push(adapter);
      return adapter.queueGate!();
    };
    afterEach(async () => {
      await Promise.all(adapters.splice(0).map((a) => a.close()));
      if (kind === 'redis') await deleteTestKeys(prefix);
    });

    it('hands out slots up to the limit across stores, frees them on release and expiry, and keeps the pause flag', async () => {
      prefix = uniquePrefix('gate');
      const [a, b] = [gate(), gate()];
      const now = Date.now();
      // Unlimited: every token, and they count once a limit is set.
      expect(await a.takeSlots('q', ['a1', 'a2'], now + 60_000, now)).toBe(2);
      await b.setLimit('q', 3);
      expect(await b.takeSlots('q', ['b1', 'b2'], now + 60_000, now)).toBe(1);
      expect(await a.states(['q', 'open'], now)).toEqual([
        { paused: false, limit: 3, held: 3 },
        { paused: false, limit: null, held: 0 },
      ]);
      await a.releaseSlots('q', ['a1']);
      expect(await b.takeSlots('q', ['b3', 'b4'], now + 100, now)).toBe(1);
      // b3 expires at now + 100: once that passes its slot is free without a release; a renewed one holds on.
      await a.renewSlots('q', ['a2'], now + 500);
      expect(await a.takeSlots('q', ['a3'], now + 60_000, now + 200)).toBe(1);
      expect((await b.states(['q'], now + 600))[0]!.held).toBe(2);
      // Slots held without a check (leases taken before the limit was seen) count past the limit.
      await b.holdSlots('q', [{ token: 'old', until: now + 60_000 }]);
      expect((await a.states(['q'], now + 600))[0]!.held).toBe(3);
      await a.setPaused('q', true);
      expect((await b.states(['q'], now))[0]!.paused).toBe(true);
      await b.setPaused('q', false);
      await b.setLimit('q', null);
      expect(await a.states(['q'], now + 600)).toEqual([{ paused: false, limit: null, held: 3 }]);
    });
  });
}
