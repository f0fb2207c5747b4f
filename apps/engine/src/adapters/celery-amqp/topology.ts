// Celery's exchanges and queues on RabbitMQ, declared with exactly the
// arguments Celery 5.2.6 / kombu 5.2.4 use, so a Python worker's declare of the
// same name never fails with PRECONDITION_FAILED (and ours never fails after
// theirs). Checked against celery/app/amqp.py (Queues, default exchange),
// celery/events/{event,receiver}.py, kombu/pidbox.py and kombu/transport/base.py
// (expires and message_ttl become x-expires and x-message-ttl in whole ms).
//
// - A task queue `q` (Celery's create_missing_queues): durable, no arguments
//   (x-max-priority only with task_queue_max_priority, which Celery leaves
//   unset), bound to the durable direct exchange `q` under the key `q`. A
//   producer sends to the anonymous exchange with the queue as routing key.
// - Events: the durable topic exchange `celeryev`; each receiver binds its own
//   `celeryev.<id>` queue (auto-delete, x-message-ttl 5 s, x-expires 60 s) with `#`.
// - Remote control: the fanout exchange `celery.pidbox` and the direct exchange
//   `reply.celery.pidbox`, both transient (durable false); a node's mailbox
//   `<node>.celery.pidbox` and a caller's `<oid>.reply.celery.pidbox` are
//   auto-delete, x-message-ttl 300 s, x-expires 10 s (control_queue_ttl and
//   control_queue_expires).
import type { Options } from 'amqplib';

export const EVENT_EXCHANGE = 'celeryev';
export const PIDBOX_EXCHANGE = 'celery.pidbox';
export const REPLY_EXCHANGE = 'reply.celery.pidbox';

export const TASK_QUEUE_OPTIONS: Options.AssertQueue = { durable: true, exclusive: false, autoDelete: false };
export const TASK_EXCHANGE_OPTIONS: Options.AssertExchange = { durable: true, autoDelete: false };
export const EVENT_EXCHANGE_OPTIONS: Options.AssertExchange = { durable: true, autoDelete: false };
export const PIDBOX_EXCHANGE_OPTIONS: Options.AssertExchange = { durable: false, autoDelete: false };

/** A node's pidbox mailbox and a caller's reply queue (kombu's Mailbox.get_queue / get_reply_queue). */
export const PIDBOX_QUEUE_OPTIONS: Options.AssertQueue = {
  durable: false,
  exclusive: false,
  autoDelete: true,
  arguments: { 'x-message-ttl': 300_000, 'x-expires': 10_000 },
};

/** An event receiver's queue (celery/events/receiver.py). */
export const EVENT_QUEUE_OPTIONS: Options.AssertQueue = {
  durable: false,
  exclusive: false,
  autoDelete: true,
  arguments: { 'x-message-ttl': 5_000, 'x-expires': 60_000 },
};

export const nodeMailbox = (hostname: string): string => `${hostname}.${PIDBOX_EXCHANGE}`;
export const replyQueue = (oid: string): string => `${oid}.${REPLY_EXCHANGE}`;
export const eventQueue = (id: string): string => `${EVENT_EXCHANGE}.${id}`;
/** Lovage's dead letters of a Celery queue (Celery has none): durable, beside the queue. */
export const deadQueue = (queue: string): string => `_lovage.dead.${queue}`;

/** Headers of a dead letter. */
export const DEAD_HEADER = { reason: 'x-lovage-reason', at: 'x-lovage-dead-at', id: 'x-lovage-id' } as const;
