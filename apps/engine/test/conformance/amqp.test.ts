// The amqp adapter (RabbitMQ for the queues, the shared Redis as the `backend`
// store for every other port) against the broker suite and the task suite.
import { brokerConformance } from './broker-suite.js';
import { conformance } from './suite.js';

brokerConformance('amqp');
conformance('amqp');
