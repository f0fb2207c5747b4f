// A fresh adapter per test for the port suites: its own prefix, closed and
// cleaned afterwards. The suites see only the Adapter, never which one it is.
import { uniquePrefix } from '@lovage/test-support/redis';
import { requirePort, type Adapter, type PortName, type Ports } from '../../src/adapters/adapter.js';
import { createAdapter } from '../../src/adapters/create-adapter.js';
import { deleteTestKeys, redisUrl, type Kind } from '../support.js';

export interface PortHarness {
  /** The port of a new adapter on this test's prefix (two calls: two connections to one store). */
  port<P extends PortName>(name: P): Ports[P];
  close(): Promise<void>;
}

export function portHarness(kind: Kind, name: string): PortHarness {
  const prefix = uniquePrefix(name);
  const adapters: Adapter[] = [];
  return {
    port(port) {
      const adapter = createAdapter(kind === 'redis' ? redisUrl : `memory://${prefix}`, prefix);
      adapters.push(adapter);
      return requirePort(adapter, port, 'the conformance suite');
    },
    async close() {
      await Promise.all(adapters.splice(0).map((a) => a.close()));
      if (kind === 'redis') await deleteTestKeys(prefix);
    },
  };
}
