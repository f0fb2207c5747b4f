// Celery's events and remote control on RabbitMQ, as kombu's py-amqp transport
// lays them out (topology.ts): the CeleryEventSink, PidboxTransport and an
// event receiver the Celery-mode code (celery-event-log.ts,
// celery-control-bus.ts) and the gateway plug in, beside their Redis versions.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Channel } from 'amqplib';
import type { Logger } from '../../app/logger.js';
import type { AmqpConnection, Link } from '../amqp/connection.js';
import type { PidboxTransport } from '../celery/celery-control-bus.js';
import type { CeleryEventMessage, CeleryEventSink } from '../celery/celery-event-log.js';
import { buildEnvelope, type KombuEnvelope } from '../celery/kombu-envelope.js';
import { envelopeOfFrame, frameOfEnvelope } from './amqp-frames.js';
import {
  EVENT_EXCHANGE,
  EVENT_EXCHANGE_OPTIONS,
  EVENT_QUEUE_OPTIONS,
  PIDBOX_EXCHANGE,
  PIDBOX_EXCHANGE_OPTIONS,
  PIDBOX_QUEUE_OPTIONS,
  REPLY_EXCHANGE,
  eventQueue,
  nodeMailbox,
  replyQueue,
} from './topology.js';

const RESUBSCRIBE_MS = 1_000;

/** Declares what `declare` does once per connection generation. */
class PerLink {
  private generation = 0;
  private done: Promise<void> | undefined;
  constructor(private readonly declare: (link: Link) => Promise<void>) {}
  async on(link: Link): Promise<void> {
    if (this.generation !== link.generation || !this.done) {
      this.generation = link.generation;
      this.done = this.declare(link);
      this.done.catch(() => (this.done = undefined));
    }
    await this.done;
  }
}

/** Events on the `celeryev` topic exchange, routed by type (task.multi, worker.heartbeat…). */
export class AmqpEventSink implements CeleryEventSink {
  private readonly exchanges = new PerLink((link) => link.confirm.assertExchange(EVENT_EXCHANGE, 'topic', EVENT_EXCHANGE_OPTIONS).then(() => undefined));

  constructor(private readonly connection: AmqpConnection) {}

  async send(messages: CeleryEventMessage[]): Promise<void> {
    await this.exchanges.on(await this.connection.link());
    await Promise.all(
      messages.map((m) => {
        const envelope = buildEnvelope({ bodyText: m.bodyText, headers: { hostname: m.hostname }, exchange: EVENT_EXCHANGE, routingKey: m.routingKey, deliveryMode: 1 });
        const frame = frameOfEnvelope(envelope);
        return this.connection.publish(frame.exchange, frame.routingKey, frame.content, frame.options);
      }),
    );
  }
}

/**
 * Consumes a queue of its own (declared and bound by `setup`) on a channel of
 * its own, handing each message to `onMessage` as a kombu envelope text; after
 * a lost connection it subscribes again until stopped.
 */
class Subscription {
  private channel: Channel | undefined;
  private stopped = false;

  constructor(
    private readonly connection: AmqpConnection,
    private readonly queue: string,
    private readonly setup: (ch: Channel) => Promise<void>,
    private readonly onMessage: (raw: string) => void,
    private readonly logger: Logger,
    private readonly onSubscribed?: (first: boolean) => void,
  ) {}

  private started = false;

  async start(): Promise<void> {
    const link = await this.connection.link();
    const ch = await link.model.createChannel();
    this.channel = ch;
    ch.on('error', () => undefined);
    ch.on('close', () => {
      if (this.stopped || this.channel !== ch) return;
      this.channel = undefined;
      const again = (): void => {
        if (this.stopped) return;
        this.start().catch((err: unknown) => {
          this.logger.debug({ err, queue: this.queue }, 'resubscribing failed; trying again');
          setTimeout(again, RESUBSCRIBE_MS).unref();
        });
      };
      setTimeout(again, RESUBSCRIBE_MS).unref();
    });
    await this.setup(ch);
    await ch.consume(
      this.queue,
      (message) => {
        if (message) this.onMessage(envelopeOfFrame(message, randomUUID()));
      },
      { noAck: true },
    );
    this.onSubscribed?.(!this.started);
    this.started = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const ch = this.channel;
    this.channel = undefined;
    await ch?.close().catch(() => undefined);
  }
}

/** kombu's pidbox on RabbitMQ: requests on the `celery.pidbox` fanout, replies through `reply.celery.pidbox`. */
export class AmqpPidboxTransport implements PidboxTransport {
  readonly pidboxExchange = PIDBOX_EXCHANGE;
  readonly replyExchange = REPLY_EXCHANGE;
  private readonly exchanges = new PerLink(async (link) => {
    await link.confirm.assertExchange(PIDBOX_EXCHANGE, 'fanout', PIDBOX_EXCHANGE_OPTIONS);
    await link.confirm.assertExchange(REPLY_EXCHANGE, 'direct', PIDBOX_EXCHANGE_OPTIONS);
  });
  private requests: Subscription | undefined;
  private readonly open = new Set<Channel>();

  /** `node` names this process's mailbox queue (`<node>.celery.pidbox`), as a Celery worker's hostname does. */
  constructor(
    private readonly connection: AmqpConnection,
    private readonly logger: Logger,
    private readonly node = `lovage-${process.pid}-${randomUUID().slice(0, 8)}@${hostname()}`,
  ) {}

  private async link(): Promise<Link> {
    const link = await this.connection.link();
    await this.exchanges.on(link);
    return link;
  }

  async bindReplies(oid: string): Promise<void> {
    const link = await this.link();
    await link.confirm.assertQueue(replyQueue(oid), PIDBOX_QUEUE_OPTIONS);
    await link.confirm.bindQueue(replyQueue(oid), REPLY_EXCHANGE, oid);
  }

  async unbindReplies(oid: string): Promise<void> {
    const link = await this.connection.link();
    await link.confirm.deleteQueue(replyQueue(oid));
  }

  async readReplies(oid: string, deadline: number, onReply: (raw: string) => boolean): Promise<void> {
    const link = await this.link();
    const ch = await link.model.createChannel();
    this.open.add(ch);
    ch.on('error', () => undefined);
    try {
      await new Promise<void>((resolve) => {
        let finished = false;
        const finish = (): void => {
          if (finished) return;
          finished = true;
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(finish, Math.max(0, deadline - Date.now()));
        ch.on('close', finish);
        ch.consume(
          replyQueue(oid),
          (message) => {
            if (finished) return;
            if (message === null || onReply(envelopeOfFrame(message, randomUUID()))) finish();
          },
          { noAck: true },
        ).catch(finish);
      });
    } finally {
      this.open.delete(ch);
      await ch.close().catch(() => undefined);
      await this.unbindReplies(oid).catch(() => undefined);
    }
  }

  async publishRequest(envelope: KombuEnvelope): Promise<void> {
    await this.link();
    const frame = frameOfEnvelope(envelope, { exchange: PIDBOX_EXCHANGE, routingKey: '' });
    await this.connection.publish(frame.exchange, frame.routingKey, frame.content, frame.options);
  }

  async subscribeRequests(onRequest: (raw: string) => void): Promise<void> {
    if (this.requests) return;
    const queue = nodeMailbox(this.node);
    this.requests = new Subscription(
      this.connection,
      queue,
      async (ch) => {
        await this.link();
        await ch.assertQueue(queue, PIDBOX_QUEUE_OPTIONS);
        await ch.bindQueue(queue, PIDBOX_EXCHANGE, '');
      },
      onRequest,
      this.logger,
    );
    await this.requests.start();
  }

  async sendReply(routingKey: string, envelope: KombuEnvelope): Promise<void> {
    await this.link();
    const frame = frameOfEnvelope(envelope, { exchange: REPLY_EXCHANGE, routingKey });
    await this.connection.publish(frame.exchange, frame.routingKey, frame.content, frame.options);
  }

  close(): void {
    void this.requests?.stop();
    this.requests = undefined;
    for (const ch of this.open) void ch.close().catch(() => undefined);
  }
}

/**
 * A `celery events`-style receiver: its own `celeryev.<id>` queue (auto-delete,
 * Celery's TTLs) bound to `celeryev` with `#`, each message handed over as a
 * kombu envelope text (decodeEventMessage reads it).
 */
export class AmqpEventReceiver {
  private subscription: Subscription | undefined;

  constructor(
    private readonly connection: AmqpConnection,
    private readonly logger: Logger,
  ) {}

  /** `onSubscribed` hears of each (re)subscription: after a lost connection, events sent meanwhile were missed. */
  async start(onEvent: (raw: string) => void, onSubscribed?: (first: boolean) => void): Promise<void> {
    const queue = eventQueue(randomUUID());
    this.subscription = new Subscription(
      this.connection,
      queue,
      async (ch) => {
        await ch.assertExchange(EVENT_EXCHANGE, 'topic', EVENT_EXCHANGE_OPTIONS);
        await ch.assertQueue(queue, EVENT_QUEUE_OPTIONS);
        await ch.bindQueue(queue, EVENT_EXCHANGE, '#');
      },
      onEvent,
      this.logger,
      onSubscribed,
    );
    await this.subscription.start();
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }
}
