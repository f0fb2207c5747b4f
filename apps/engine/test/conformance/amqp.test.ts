// The amqp adapter (RabbitMQ for the queues, the shared Redis as the store) against the broker suite.
import { brokerConformance } from './broker-suite.js';

brokerConformance('amqp');
