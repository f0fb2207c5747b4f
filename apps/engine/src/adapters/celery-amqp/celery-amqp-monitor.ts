// A monitor's handle on a Celery cluster on RabbitMQ (the gateway's
// LOVAGE_CELERY_BROKER_URL=amqp://…): its events through a `celeryev.<id>`
// queue of its own bound with `#`, remote control over pidbox, queue depth
// through passive declares (no management plugin), and sending or purging
// tasks on Celery's queues.
import type { Logger } from '../../app/logger.js';
import { AmqpConnection } from '../amqp/connection.js';
import { CeleryControlBus } from '../celery/celery-control-bus.js';
import type { KombuEnvelope } from '../celery/kombu-envelope.js';
import { frameOfEnvelope } from './amqp-frames.js';
import { AmqpEventReceiver, AmqpPidboxTransport } from './amqp-transports.js';
import { TASK_EXCHANGE_OPTIONS, TASK_QUEUE_OPTIONS } from './topology.js';

/** RabbitMQ's reply code for a passive declare of a queue that does not exist. */
const NOT_FOUND = 404;

export class CeleryAmqpMonitor {
  private readonly connection: AmqpConnection;
  private receiver: AmqpEventReceiver | undefined;
  readonly control: CeleryControlBus;

  constructor(
    url: string,
    private readonly logger: Logger,
  ) {
    this.connection = new AmqpConnection(url, logger, 'celery broker');
    this.control = new CeleryControlBus(new AmqpPidboxTransport(this.connection, logger, `lovage-gateway-${process.pid}`), null, logger);
  }

  /**
   * Receives every event message (a kombu envelope text for decodeEventMessage);
   * `onSubscribed` is called each time the queue is consumed (first, and after
   * a lost connection: events sent in between were missed).
   */
  async watchEvents(onEvent: (raw: string) => void, onSubscribed: (first: boolean) => void): Promise<void> {
    this.receiver = new AmqpEventReceiver(this.connection, this.logger);
    await this.receiver.start(onEvent, onSubscribed);
  }

  /** Messages ready in `queue` (a passive declare); 0 for a queue RabbitMQ does not have. */
  async queueDepth(queue: string): Promise<number> {
    try {
      return await this.connection.withChannel(async (ch) => (await ch.checkQueue(queue)).messageCount);
    } catch (error) {
      if ((error as { code?: number }).code === NOT_FOUND) return 0;
      throw error;
    }
  }

  /** Deletes the messages waiting in `queue`; 0 when it does not exist. */
  async purge(queue: string): Promise<number> {
    try {
      return await this.connection.withChannel(async (ch) => {
        await ch.checkQueue(queue);
        return (await ch.purgeQueue(queue)).messageCount;
      });
    } catch (error) {
      if ((error as { code?: number }).code === NOT_FOUND) return 0;
      throw error;
    }
  }

  /** Sends a task envelope (encodeTaskMessage's) to its queue, declared as Celery does, confirmed. */
  async publish(envelope: KombuEnvelope): Promise<void> {
    const frame = frameOfEnvelope(envelope);
    const queue = frame.routingKey;
    const link = await this.connection.link();
    await link.confirm.assertExchange(queue, 'direct', TASK_EXCHANGE_OPTIONS);
    await link.confirm.assertQueue(queue, TASK_QUEUE_OPTIONS);
    await link.confirm.bindQueue(queue, queue, queue);
    await this.connection.publish(frame.exchange, frame.routingKey, frame.content, frame.options);
  }

  async close(): Promise<void> {
    this.control.close();
    await this.receiver?.stop();
    await this.connection.close();
  }
}
