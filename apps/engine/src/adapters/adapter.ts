// An adapter is one backend's implementations of the ports, bundled. Every
// port is optional: a backend offers the ports it can (a future amqp:// adapter
// has a broker and a control bus but no schedule store), and the app asks for a
// port only when a feature needs it, so a missing one fails with a ConfigError
// that names the option to change instead of a crash deep inside.
import type { ScheduleStore } from '../beat/schedule-store.js';
import type { ControlBus } from '../control/control-bus.js';
import type { WorkerRegistry } from '../control/worker-registry.js';
import { ConfigError } from '../errors.js';
import type { EventLog } from '../events/event-log.js';
import type { ResultBackend } from '../result/backend.js';
import type { Broker } from '../worker/broker.js';
import type { WorkflowStore } from '../canvas/workflow-store.js';
import type { QueueGate } from './queue-gate.js';

export interface Ports {
  broker: Broker;
  eventLog: EventLog;
  controlBus: ControlBus;
  workerRegistry: WorkerRegistry;
  scheduleStore: ScheduleStore;
  resultBackend: ResultBackend;
  workflowStore: WorkflowStore;
}

export type PortName = keyof Ports;

/** What each port is called in errors, and which option chooses the backend that provides it. */
const PORT_INFO: Record<PortName, { label: string; option: 'broker' | 'backend' }> = {
  broker: { label: 'a broker (queues)', option: 'broker' },
  eventLog: { label: 'an event log', option: 'broker' },
  controlBus: { label: 'a control bus', option: 'broker' },
  workerRegistry: { label: 'a worker registry', option: 'broker' },
  scheduleStore: { label: 'a schedule store', option: 'broker' },
  resultBackend: { label: 'a result backend', option: 'backend' },
  workflowStore: { label: 'a workflow store (chord joins)', option: 'broker' },
};

/**
 * One backend's ports. Each member, when present, builds its port on first
 * call and returns the same instance afterwards; `close()` closes every port
 * it built and the connections they share.
 */
export type Adapter = {
  readonly kind: string;
  readonly url: string;
  close(): Promise<void>;
  /** Pause flags and concurrency slots for a broker that keeps neither (amqp://), on a store that can (redis://, memory://). */
  readonly queueGate?: () => QueueGate;
} & {
  readonly [P in PortName]?: () => Ports[P];
};

/** The port, or a ConfigError saying which feature needed it and which option to change. */
export function requirePort<P extends PortName>(adapter: Adapter, port: P, neededBy: string): Ports[P] {
  const make = adapter[port] as (() => Ports[P]) | undefined;
  if (!make) {
    const { label, option } = PORT_INFO[port];
    throw new ConfigError(
      `${option}: the ${adapter.kind} adapter (${redact(adapter.url)}) offers no ${port} (${label}), which ${neededBy} needs; set \`${option}\` to a backend that has one (redis:// or memory://)`,
    );
  }
  return make();
}

/** A URL without its password, for messages and stats. */
export function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/** Memoizes a port factory: the port is built on the first call only. */
export function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}
