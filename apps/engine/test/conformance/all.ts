// Every conformance suite: one per port (the schedule store's lives in
// test/beat/store-suite.ts), plus the task and observability suites that run
// the app and workers on top of them. Each adapter runs them all from a
// five-line file (memory.test.ts, redis.test.ts).
import { storeConformance } from '../beat/store-suite.js';
import type { Kind } from '../support.js';
import { brokerConformance } from './broker-suite.js';
import { canvasConformance } from './canvas-suite.js';
import { controlBusConformance } from './control-bus-suite.js';
import { eventLogConformance } from './event-log-suite.js';
import { observability } from './observability-suite.js';
import { resultBackendConformance } from './result-backend-suite.js';
import { conformance } from './suite.js';
import { workerRegistryConformance } from './worker-registry-suite.js';
import { workflowStoreConformance } from './workflow-store-suite.js';

export function allConformance(kind: Kind): void {
  brokerConformance(kind);
  eventLogConformance(kind);
  controlBusConformance(kind);
  workerRegistryConformance(kind);
  resultBackendConformance(kind);
  storeConformance(kind);
  conformance(kind);
  observability(kind);
  workflowStoreConformance(kind);
  canvasConformance(kind);
}
