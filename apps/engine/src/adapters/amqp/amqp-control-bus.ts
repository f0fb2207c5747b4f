// The control bus port on RabbitMQ: broadcasts go to a fanout exchange that
// every subscriber binds an exclusive, server-named queue to (it vanishes with
// the subscriber's connection); the replies to one request collect in a queue
// named after it, declared by whichever side comes first and expiring a minute
// after its last use, so a reply sent before the caller listens is kept.
//
// Subscriptions live on the adapter's self-healing connection: after a
// reconnect the next publish or subscribe call binds a fresh queue, and a
// watcher re-subscribes at once (broadcasts sent during the outage are lost,
// as they are with Redis pub/sub).
import type { ConsumeMessage } from 'amqplib';
import type { ControlBus, ControlMessage, ControlReplyEnvelope } from '../../control/control-bus.js';
import type { AmqpConnection, Link } from './connection.js';
import { REPLY_QUEUE_EXPIRES_MS, controlExchange, replyQueue } from './topology.js';

const POLL_FIRST_MS = 5;
const POLL_MAX_MS = 100;

export class AmqpControlBus implements ControlBus {
  private readonly listeners = new Set<(m: ControlMessage) => void>();
  /** The generation whose channel carries the subscription, while one does. */
  private subscribed: Promise<number> | undefined;
  private closed = false;

  constructor(
    private readonly connection: AmqpConnection,
    private readonly prefix: string,
  ) {}

  close(): void {
    this.closed = true;
  }

  async publish(message: ControlMessage): Promise<void> {
    const link = await this.connection.link();
    await link.confirm.assertExchange(controlExchange(this.prefix), 'fanout', { durable: true });
    await this.connection.publish(controlExchange(this.prefix), '', Buffer.from(JSON.stringify(message)), { contentType: 'application/json' });
  }

  async subscribe(listener: (message: ControlMessage) => void): Promise<() => Promise<void>> {
    this.listeners.add(listener);
    await this.ensureSubscribed();
    return () => {
      this.listeners.delete(listener);
      return Promise.resolve();
    };
  }

  /** Binds this process's queue to the exchange on the current connection (again after a reconnect). */
  private async ensureSubscribed(): Promise<void> {
    const link = await this.connection.link();
    const current = await this.subscribed?.catch(() => undefined);
    if (current === link.generation) return;
    this.subscribed = this.bind(link);
    await this.subscribed;
  }

  private async bind(link: Link): Promise<number> {
    // A channel of its own: a consumer's deliveries must not wait behind the broker's basic.get calls.
    const ch = await link.model.createChannel();
    ch.on('error', () => undefined);
    await ch.assertExchange(controlExchange(this.prefix), 'fanout', { durable: true });
    const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    await ch.bindQueue(queue, controlExchange(this.prefix), '');
    await ch.consume(queue, (m: ConsumeMessage | null) => (m ? this.deliver(m) : undefined), { noAck: true });
    // The channel closes with the connection: subscribe again on the next one.
    ch.on('close', () => {
      if (this.closed || this.listeners.size === 0) return;
      this.subscribed = undefined;
      void this.ensureSubscribed().catch(() => undefined);
    });
    return link.generation;
  }

  private deliver(m: ConsumeMessage): void {
    let message: ControlMessage;
    try {
      message = JSON.parse(m.content.toString()) as ControlMessage;
    } catch {
      return;
    }
    for (const l of this.listeners) l(message);
  }

  private async declareReplies(link: Link, replyTo: string): Promise<string> {
    const name = replyQueue(this.prefix, replyTo);
    await link.confirm.assertQueue(name, { durable: false, arguments: { 'x-expires': REPLY_QUEUE_EXPIRES_MS } });
    return name;
  }

  async sendReply(replyTo: string, reply: ControlReplyEnvelope): Promise<void> {
    const link = await this.connection.link();
    const name = await this.declareReplies(link, replyTo);
    await this.connection.publish('', name, Buffer.from(JSON.stringify(reply)), { contentType: 'application/json' });
  }

  async collectReplies(replyTo: string, timeoutMs: number, expected?: number): Promise<ControlReplyEnvelope[]> {
    const link = await this.connection.link();
    const name = await this.declareReplies(link, replyTo);
    const out: ControlReplyEnvelope[] = [];
    const deadline = Date.now() + timeoutMs;
    let wait = POLL_FIRST_MS;
    while ((expected === undefined || out.length < expected) && !this.closed) {
      const m = await link.leases[0]!.get(name, { noAck: true });
      if (m !== false) {
        out.push(JSON.parse(m.content.toString()) as ControlReplyEnvelope);
        wait = POLL_FIRST_MS;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, left)));
      wait = Math.min(wait * 2, POLL_MAX_MS);
    }
    await link.confirm.deleteQueue(name).catch(() => undefined);
    return out;
  }
}
