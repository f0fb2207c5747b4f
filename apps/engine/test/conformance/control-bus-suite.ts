// The ControlBus port: broadcast to every subscriber, replies per request.
import { afterEach, describe, expect, it } from 'vitest';
import type { ControlMessage } from '../../src/index.js';
import { until, type Kind } from '../support.js';
import { portHarness, type PortHarness } from './ports.js';

export function controlBusConformance(kind: Kind): void {
  describe(`control bus port on the ${kind} adapter`, () => {
    let h: PortHarness;
    afterEach(async () => {
      await h.close();
    });

    it('broadcasts to every subscriber until it unsubscribes, and collects replies up to the expected count', async () => {
      h = portHarness(kind, 'bus');
      const a = h.port('controlBus');
      const b = h.port('controlBus');
      const seenA: ControlMessage[] = [];
      const seenB: ControlMessage[] = [];
      const offA = await a.subscribe((m) => seenA.push(m));
      await b.subscribe((m) => seenB.push(m));
      await a.publish({ type: 'revoke', ids: ['1'] });
      await until(() => seenA.length === 1 && seenB.length === 1);
      expect(seenB[0]).toEqual({ type: 'revoke', ids: ['1'] });
      await offA();
      await b.publish({ type: 'second' });
      await until(() => seenB.length === 2);
      expect(seenA).toHaveLength(1);

      await a.sendReply('req-1', { hostname: 'w1', reply: '{"ok":"pong"}' });
      await b.sendReply('req-1', { hostname: 'w2', reply: '{"ok":"pong"}' });
      const replies = await b.collectReplies('req-1', 5_000, 2);
      expect(replies.map((r) => r.hostname).sort()).toEqual(['w1', 'w2']);
      expect(await a.collectReplies('req-2', 50)).toEqual([]);
    });
  });
}
