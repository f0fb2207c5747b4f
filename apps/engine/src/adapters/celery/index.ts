// `@lovage/engine/celery`: Celery's wire format for monitors that read a Python
// Celery cluster directly (the gateway subscribes to its `celeryev` events).
// Only what such a reader needs; the adapter itself is reached through `Lovage`.
export {
  decodeEventMessage,
  isCeleryEvent,
  type CeleryEvent,
  type CeleryEventBase,
  type CeleryEventFields,
  type CeleryEventRecord,
  type CeleryEventType,
  type WorkerEventFields,
} from './celery-events.js';
export { KombuLayout, type KombuLayoutOptions } from './kombu-layout.js';
export { CeleryWireError } from './celery-wire-error.js';
export { CeleryControlBus, RedisPidboxTransport, fromCeleryReply, type PidboxTransport } from './celery-control-bus.js';
export { decodeResultMeta, READY_STATES as CELERY_READY_STATES, type CeleryResultMeta, type CeleryException } from './result-meta.js';
export { pythonRepr } from './python-repr.js';
export { encodeTaskMessage, type CeleryTaskSpec } from './task-message.js';
export { serializeEnvelope } from './kombu-envelope.js';
export { CeleryAmqpMonitor } from '../celery-amqp/celery-amqp-monitor.js';
