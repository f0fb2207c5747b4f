// The amqp adapter (RabbitMQ for the queues, the control bus and the event
// stream; the shared Redis as the `backend` store for every other port) against
// the suites of the ports it offers, the task suite and the observability suite
// (app.control, events and workers on top of the mixed ports).
import { brokerConformance } from './broker-suite.js';
import { controlBusConformance } from './control-bus-suite.js';
import { eventLogConformance } from './event-log-suite.js';
import { observability } from './observability-suite.js';
import { conformance } from './suite.js';

brokerConformance('amqp');
controlBusConformance('amqp');
eventLogConformance('amqp');
conformance('amqp');
observability('amqp');
