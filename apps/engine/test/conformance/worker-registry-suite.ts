// The WorkerRegistry port: live workers from heartbeats, expiring on their own.
import { afterEach, describe, expect, it } from 'vitest';
import { until, type Kind } from '../support.js';
import { portHarness, type PortHarness } from './ports.js';

export function workerRegistryConformance(kind: Kind): void {
  describe(`worker registry port on the ${kind} adapter`, () => {
    let h: PortHarness;
    afterEach(async () => {
      await h.close();
    });

    it('lists workers by hostname until their heartbeat expires or they are removed', async () => {
      h = portHarness(kind, 'registry');
      const registry = h.port('workerRegistry');
      await registry.heartbeat('w-b', '{"n":2}', 60_000);
      await registry.heartbeat('w-a', '{"n":1}', 60_000);
      // Long enough to be listed on a loaded machine (a 50 ms heartbeat had expired before the
      // first list under load), short enough that waiting for its expiry costs little.
      await registry.heartbeat('w-short', '{}', 2_000);
      expect((await registry.list()).map((w) => w.hostname)).toContain('w-short');
      await until(async () => !(await registry.list()).some((w) => w.hostname === 'w-short'));
      const list = await registry.list();
      expect(list.map((w) => [w.hostname, w.info])).toEqual([['w-a', '{"n":1}'], ['w-b', '{"n":2}']]);
      expect(list[0]!.expiresAt).toBeGreaterThan(list[0]!.lastHeartbeat);
      await registry.remove('w-a');
      expect((await registry.list()).map((w) => w.hostname)).toEqual(['w-b']);
    });
  });
}
