// The memory adapter: every port in process. Adapters on the same memory://
// URL and prefix share one state, so an app's producer, workers, beat and the
// gateway in one process see the same queues, stream and registry.
import type { ControlBus, ControlMessage, ControlReplyEnvelope } from '../../control/control-bus.js';
import type { WorkerRecord, WorkerRegistry } from '../../control/worker-registry.js';
import type { EventLog, ReadGroupOptions, StreamEntry } from '../../events/event-log.js';
import { once, type Adapter } from '../adapter.js';
import { MemoryBroker, MemoryQueues } from './memory-broker.js';
import { MemoryGates, MemoryQueueGate } from './memory-queue-gate.js';
import { MemoryResultBackend } from './memory-result-backend.js';
import { MemoryScheduleStore } from './memory-schedule-store.js';
import { MemoryState } from './memory-state.js';
import { MemoryWorkflows, MemoryWorkflowStore } from './memory-workflow-store.js';

const shared = new Map<string, { queues: MemoryQueues; state: MemoryState; workflows: MemoryWorkflows; gates: MemoryGates }>();

class MemoryEventLog implements EventLog {
  closed = false;
  constructor(private readonly state: MemoryState) {}
  append(entries: string[], maxLen: number): Promise<void> {
    this.state.append(entries, maxLen);
    return Promise.resolve();
  }
  read(options: ReadGroupOptions): Promise<StreamEntry[]> {
    return this.state.readGroup({ ...options, blockMs: this.closed ? 0 : options.blockMs });
  }
  ack(group: string, ids: string[]): Promise<void> {
    this.state.ack(group, ids);
    return Promise.resolve();
  }
  tail(afterId: string, count: number, blockMs: number): Promise<StreamEntry[]> {
    return this.state.tail(afterId, count, this.closed ? 0 : blockMs);
  }
  lastId(): Promise<string> {
    return Promise.resolve(this.state.lastId());
  }
}

class MemoryControlBus implements ControlBus {
  constructor(private readonly state: MemoryState) {}
  publish(message: ControlMessage): Promise<void> {
    this.state.publish(message);
    return Promise.resolve();
  }
  subscribe(listener: (message: ControlMessage) => void): Promise<() => Promise<void>> {
    const off = this.state.subscribe(listener);
    return Promise.resolve(() => {
      off();
      return Promise.resolve();
    });
  }
  sendReply(replyTo: string, reply: ControlReplyEnvelope): Promise<void> {
    this.state.sendReply(replyTo, reply);
    return Promise.resolve();
  }
  collectReplies(replyTo: string, timeoutMs: number, expected?: number): Promise<ControlReplyEnvelope[]> {
    return this.state.collectReplies(replyTo, timeoutMs, expected);
  }
}

class MemoryWorkerRegistry implements WorkerRegistry {
  constructor(private readonly state: MemoryState) {}
  heartbeat(hostname: string, info: string, ttlMs: number): Promise<void> {
    this.state.heartbeat(hostname, info, ttlMs);
    return Promise.resolve();
  }
  remove(hostname: string): Promise<void> {
    this.state.removeWorker(hostname);
    return Promise.resolve();
  }
  list(): Promise<WorkerRecord[]> {
    return Promise.resolve(this.state.listWorkers());
  }
}

export function createMemoryAdapter(url: string, prefix: string): Adapter {
  const key = `${url}|${prefix}`;
  let s = shared.get(key);
  if (!s) {
    s = { queues: new MemoryQueues(), state: new MemoryState(), workflows: new MemoryWorkflows(), gates: new MemoryGates() };
    shared.set(key, s);
  }
  const { queues, state, workflows, gates } = s;
  const broker = once(() => new MemoryBroker(queues, state));
  const eventLog = once(() => new MemoryEventLog(state));
  const controlBus = once(() => new MemoryControlBus(state));
  return {
    kind: 'memory',
    url,
    broker,
    eventLog,
    controlBus,
    workerRegistry: once(() => new MemoryWorkerRegistry(state)),
    scheduleStore: once(() => new MemoryScheduleStore(queues, controlBus())),
    workflowStore: once(() => new MemoryWorkflowStore(workflows, broker)),
    resultBackend: once(() => new MemoryResultBackend(url, prefix)),
    queueGate: once(() => new MemoryQueueGate(gates)),
    close() {
      // Closing ends blocking waits at once; the shared state stays for other apps on the same URL.
      broker().close();
      eventLog().closed = true;
      return Promise.resolve();
    },
  };
}
