// A fresh adapter per test for the port suites: its own prefix, closed and
// cleaned afterwards. The suites see only the Adapter, never which one it is.
import { uniquePrefix } from '@lovage/test-support/redis';
import { requirePort, type Adapter, type PortName, type Ports } from '../../src/adapters/adapter.js';
import { createAdapter } from '../../src/adapters/create-adapter.js';
import { amqpUrl, deleteAmqpPrefix } from '../amqp/amqp-topology.js';
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
      const url = kind === 'memory' ? `memory://${prefix}` : redisUrl;
      const store = createAdapter(url, prefix);
      adapters.push(store);
      if (kind !== 'amqp') return requirePort(store, port, 'the conformance suite');
      // RabbitMQ offers the broker port only; the app takes every other port from the Redis store, as here.
      const adapter = createAdapter(amqpUrl, prefix, 'broker', undefined, undefined, () => store);
      adapters.push(adapter);
      return requirePort(adapter[port] ? adapter : store, port, 'the conformance suite');
    },
    async close() {
      await Promise.all(adapters.splice(0).map((a) => a.close()));
      if (kind !== 'memory') await deleteTestKeys(prefix);
      if (kind === 'amqp') await deleteAmqpPrefix(prefix);
    },
  };
}
