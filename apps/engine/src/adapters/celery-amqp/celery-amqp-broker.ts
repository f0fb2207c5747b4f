// The broker port in Celery's mode on RabbitMQ: Celery's own queues (see
// topology.ts), so Lovage and Python workers consume from the same queue and a
// Python producer's tasks reach a Lovage worker and back.
//
// Consumption is push, as a Celery worker's: basic.consume on one channel with
// a channel-wide prefetch (basic.qos) of the worker's prefetch window, so
// RabbitMQ hands a worker at most that many unacknowledged messages; reserve
// takes from what was pushed, and waitForWork waits for the next push. How the
// port's transitions map onto AMQP:
// - enqueue: declare the queue and its exchange as Celery does, publish the
//   task (content type, encoding, protocol v2 headers, correlation_id,
//   reply_to, priority, delivery_mode 2) and wait for the publisher confirm.
// - ack: basic.ack (early or late per task, as the worker decides; a lease
//   is the unacknowledged delivery: a dead worker's messages come back when
//   RabbitMQ sees its connection close).
// - parked (an eta or a rate limit not yet due): the message stays
//   unacknowledged in this worker and is handed out again when due, which is
//   what a Celery worker does with an ETA task; the prefetch window grows by
//   one while it is held (Celery's qos.increment_eventually), so held tasks
//   never starve the worker. RabbitMQ's consumer_timeout (30 min by default)
//   closes a channel holding a message longer than that, as it does for
//   Celery (celery#6760): its messages are redelivered and held again, and the
//   consumer is opened anew. Raise consumer_timeout for longer ETAs.
// - hand-back: basic.nack with requeue (RabbitMQ marks it redelivered).
// - retry: the next try (a new body, its eta in the headers) is published and
//   confirmed, then the original acked, as Celery's retry re-publishes.
// - dead letter: published (confirmed) to `_lovage.dead.<queue>` with the
//   reason in a header, then the original acked.
// Revocations and rate-limit buckets live in the Redis store (`backend`).
import type { Channel, ConfirmChannel, ConsumeMessage, GetMessage } from 'amqplib';
import type { Broker, DeadLetter, Delivery, OutgoingMessage, QueueStats, ReserveResult, Settlement } from '../../worker/broker.js';
import { UnsupportedByAdapterError } from '../../errors.js';
import type { AmqpConnection, Link } from '../amqp/connection.js';
import type { KombuEnvelope } from '../celery/kombu-envelope.js';
import { envelopeOfFrame, frameOfEnvelope } from './amqp-frames.js';
import { DEAD_HEADER, TASK_EXCHANGE_OPTIONS, TASK_QUEUE_OPTIONS, deadQueue } from './topology.js';

/** One consumer channel and what it consumes; a new one (next epoch) after it closes. */
interface Consumer {
  epoch: number;
  generation: number;
  channel: Channel;
  queues: Set<string>;
  /** The prefetch window last set with basic.qos. */
  window: number;
  open: boolean;
}

interface Pushed {
  epoch: number;
  queue: string;
  message: ConsumeMessage;
  /** Set when a held (parked) message is handed out again: the same lease. */
  receipt?: string;
}

interface Lease {
  epoch: number;
  message: ConsumeMessage;
  queue: string;
  timer?: NodeJS.Timeout;
}

/** How many dead letters one peek reads at most. */
const PEEK_MAX = 10_000;
/** setTimeout's longest delay; a longer eta re-arms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class CeleryAmqpBroker implements Broker {
  private current: Consumer | undefined;
  private opening: Promise<Consumer> | undefined;
  private epoch = 0;
  private readonly buffer: Pushed[] = [];
  private readonly leases = new Map<string, Lease>();
  private readonly held = new Set<string>();
  private readonly waiters = new Set<() => void>();
  private declared = { generation: 0, queues: new Map<string, Promise<void>>() };
  private readonly knownQueues = new Set<string>();
  /** The largest batch a worker asked for: its prefetch window. */
  private basePrefetch = 0;
  private closed = false;

  constructor(
    private readonly connection: AmqpConnection,
    private readonly store: () => Broker,
  ) {}

  close(): void {
    this.closed = true;
    for (const lease of this.leases.values()) clearTimeout(lease.timer);
    this.wake();
  }

  private wake(): void {
    for (const resolve of this.waiters) resolve();
    this.waiters.clear();
  }

  // --- topology -----------------------------------------------------------

  private async linkFor(): Promise<Link> {
    const link = await this.connection.link();
    if (this.declared.generation !== link.generation) this.declared = { generation: link.generation, queues: new Map() };
    return link;
  }

  /** Declares a task queue as Celery does (its direct exchange, the binding, its dead-letter queue), once per connection. */
  private declareQueue(link: Link, queue: string): Promise<void> {
    let done = this.declared.queues.get(queue);
    if (!done) {
      done = (async () => {
        const ch = link.confirm;
        await ch.assertExchange(queue, 'direct', TASK_EXCHANGE_OPTIONS);
        await ch.assertQueue(queue, TASK_QUEUE_OPTIONS);
        await ch.bindQueue(queue, queue, queue);
        await ch.assertQueue(deadQueue(queue), { durable: true });
        this.knownQueues.add(queue);
      })();
      this.declared.queues.set(queue, done);
      done.catch(() => this.declared.queues.delete(queue));
    }
    return done;
  }

  // --- publishing ---------------------------------------------------------

  /** Publishes a kombu envelope (the codec's text) as the frame kombu's py-amqp producer sends, confirmed. */
  private async publishEnvelope(body: string, queue: string): Promise<void> {
    const envelope = JSON.parse(body) as KombuEnvelope;
    const link = await this.linkFor();
    const frame = frameOfEnvelope(envelope);
    // The anonymous exchange routes by queue name; a named exchange is Celery's own routing.
    const target = frame.exchange === '' ? frame.routingKey : queue;
    await this.declareQueue(link, target);
    await this.connection.publish(frame.exchange, frame.routingKey, frame.content, frame.options);
  }

  async enqueue(m: OutgoingMessage): Promise<void> {
    await this.publishEnvelope(m.body, m.queue);
  }

  async enqueueBulk(messages: OutgoingMessage[]): Promise<void> {
    // Published together, confirmed together.
    await Promise.all(messages.map((m) => this.publishEnvelope(m.body, m.queue)));
  }

  private async sendDead(queue: string, id: string, body: string, reason: string, at: number): Promise<void> {
    const link = await this.linkFor();
    await this.declareQueue(link, queue);
    await this.connection.publish('', deadQueue(queue), Buffer.from(body), {
      persistent: true,
      contentType: 'application/json',
      headers: { [DEAD_HEADER.reason]: reason, [DEAD_HEADER.at]: at, [DEAD_HEADER.id]: id },
    });
  }

  /** Celery keeps no delayed queue: an eta travels in the message, held by the worker that receives it. */
  promoteDue(): Promise<number> {
    return Promise.resolve(0);
  }

  // --- consuming ----------------------------------------------------------

  /** The live consumer, consuming `queues` (opened, or extended with new queues, first). */
  private async consumer(queues: string[]): Promise<Consumer> {
    for (;;) {
      const link = await this.linkFor();
      let c = this.current;
      if (!c || !c.open || c.generation !== link.generation) {
        this.opening ??= this.openConsumer(link).finally(() => (this.opening = undefined));
        c = await this.opening;
      }
      try {
        for (const queue of queues) {
          if (c.queues.has(queue)) continue;
          c.queues.add(queue);
          await this.declareQueue(link, queue);
          await c.channel.consume(queue, (message) => this.receive(c, queue, message), { noAck: false });
        }
        return c;
      } catch (err) {
        if (this.closed) throw err;
        // The channel closed under the consume (the connection went): start over on the next one.
        c.open = false;
      }
    }
  }

  private async openConsumer(link: Link): Promise<Consumer> {
    const channel = await link.model.createChannel();
    const c: Consumer = { epoch: ++this.epoch, generation: link.generation, channel, queues: new Set(), window: 0, open: true };
    channel.on('error', () => undefined);
    channel.on('close', () => this.lost(c));
    this.current = c;
    await this.setWindow(c);
    return c;
  }

  /** The consumer's channel closed (consumer_timeout, a lost connection): what it held comes back from RabbitMQ. */
  private lost(c: Consumer): void {
    c.open = false;
    for (let i = this.buffer.length - 1; i >= 0; i--) {
      if (this.buffer[i]!.epoch === c.epoch) this.buffer.splice(i, 1);
    }
    for (const [receipt, lease] of this.leases) {
      if (lease.epoch !== c.epoch) continue;
      clearTimeout(lease.timer);
      this.held.delete(receipt);
      this.leases.delete(receipt);
    }
    this.wake();
  }

  private receive(c: Consumer, queue: string, message: ConsumeMessage | null): void {
    if (message === null) {
      // RabbitMQ cancelled the consumer (the queue was deleted): consume again on the next reserve.
      c.queues.delete(queue);
      return;
    }
    if (!c.open || c !== this.current) return;
    this.buffer.push({ epoch: c.epoch, queue, message });
    this.wake();
  }

  /** basic.qos: the worker's window plus one per held message, channel-wide. */
  private async setWindow(c: Consumer): Promise<void> {
    const window = Math.max(1, this.basePrefetch) + this.held.size;
    if (window === c.window) return;
    c.window = window;
    await c.channel.prefetch(window, true);
  }

  async reserve(queues: string[], count: number): Promise<ReserveResult> {
    this.basePrefetch = Math.max(this.basePrefetch, count);
    const c = await this.consumer(queues);
    await this.setWindow(c).catch(() => undefined);
    const wanted = new Set(queues);
    const deliveries: Delivery[] = [];
    for (let i = 0; i < this.buffer.length && deliveries.length < count; ) {
      const p = this.buffer[i]!;
      if (!wanted.has(p.queue)) {
        i++;
        continue;
      }
      this.buffer.splice(i, 1);
      // Pushed on a channel that has closed since: RabbitMQ redelivers it.
      if (p.epoch !== c.epoch) continue;
      const receipt = p.receipt ?? `${c.epoch}:${p.message.fields.deliveryTag}`;
      if (p.receipt === undefined) this.leases.set(receipt, { epoch: c.epoch, message: p.message, queue: p.queue });
      else if (!this.leases.has(receipt)) continue;
      const body = envelopeOfFrame(p.message, receipt);
      const id = typeof p.message.properties.correlationId === 'string' ? p.message.properties.correlationId : receipt;
      deliveries.push({ id, receipt, queue: p.queue, body, deliveries: p.message.fields.redelivered ? 2 : 1 });
    }
    return { deliveries, revoked: [] };
  }

  async waitForWork(queues: string[], timeoutMs: number): Promise<void> {
    if (this.closed) return;
    const wanted = new Set(queues);
    if (this.buffer.some((p) => wanted.has(p.queue))) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  /** An unacknowledged delivery stays the worker's until its connection closes: nothing to renew. */
  renewLeases(): Promise<void> {
    return Promise.resolve();
  }

  async settle(batch: Settlement[]): Promise<void> {
    if (batch.length === 0) return;
    const now = Date.now();
    const acks: Lease[] = [];
    await Promise.all(
      batch.map(async (s) => {
        const receipt = s.delivery.receipt;
        const lease = receipt === undefined ? undefined : this.leases.get(receipt);
        // Its channel is gone: RabbitMQ redelivers the message, nothing to settle here.
        if (!lease || receipt === undefined) return;
        if (s.kind === 'ack') {
          this.leases.delete(receipt);
          acks.push(lease);
        } else if (s.kind === 'dead') {
          await this.sendDead(s.delivery.queue, s.delivery.id, s.delivery.body, s.reason, now);
          this.leases.delete(receipt);
          acks.push(lease);
        } else if (s.body !== s.delivery.body) {
          // A retry: the next try goes out (confirmed) before the original is acked.
          await this.publishEnvelope(s.body, s.delivery.queue);
          this.leases.delete(receipt);
          acks.push(lease);
        } else if (s.eta > now) {
          this.hold(receipt, lease, s.eta);
        } else {
          this.leases.delete(receipt);
          this.nack(lease);
        }
      }),
    );
    for (const lease of acks) this.ack(lease);
  }

  /** Keeps a parked message unacknowledged and hands it out again at `eta` (Celery's ETA handling). */
  private hold(receipt: string, lease: Lease, eta: number): void {
    this.held.add(receipt);
    const c = this.current;
    if (c?.open && c.epoch === lease.epoch) void this.setWindow(c).catch(() => undefined);
    const arm = (): void => {
      const left = eta - Date.now();
      lease.timer = setTimeout(
        () => {
          if (eta > Date.now()) return arm();
          lease.timer = undefined;
          if (!this.leases.has(receipt)) return;
          this.held.delete(receipt);
          this.buffer.unshift({ epoch: lease.epoch, queue: lease.queue, message: lease.message, receipt });
          this.wake();
        },
        Math.min(Math.max(0, left), MAX_TIMER_MS),
      );
      lease.timer.unref?.();
    };
    arm();
  }

  /** How many messages this worker holds for their eta. */
  get heldCount(): number {
    return this.held.size;
  }

  private channelOf(lease: Lease): Channel | undefined {
    const c = this.current;
    return c?.open && c.epoch === lease.epoch ? c.channel : undefined;
  }

  private ack(lease: Lease): void {
    try {
      this.channelOf(lease)?.ack(lease.message);
    } catch {
      // The channel closed under the ack: RabbitMQ redelivers (at-least-once).
    }
  }

  private nack(lease: Lease): void {
    try {
      this.channelOf(lease)?.nack(lease.message, false, true);
    } catch {
      // As for an ack: the message comes back anyway.
    }
  }

  /** Nothing expires: RabbitMQ gives a dead worker's messages back when its connection closes. */
  recoverExpired(): Promise<{ requeued: number; dead: number }> {
    return Promise.resolve({ requeued: 0, dead: 0 });
  }

  // --- revocations and rate limits: the store's -----------------------------

  revoke(ids: string[], ttlMs: number): Promise<void> {
    return this.store().revoke(ids, ttlMs);
  }

  isRevoked(id: string): Promise<boolean> {
    return this.store().isRevoked(id);
  }

  takeToken(key: string, perMs: number, capacity: number): Promise<number> {
    return this.store().takeToken(key, perMs, capacity);
  }

  // --- introspection ------------------------------------------------------

  /** Ready and dead from passive declares; leased counts this process's unacknowledged deliveries, delayed its held ones. */
  async queueStats(queue: string): Promise<QueueStats> {
    const link = await this.linkFor();
    await this.declareQueue(link, queue);
    const ready = (await link.confirm.checkQueue(queue)).messageCount;
    const dead = (await link.confirm.checkQueue(deadQueue(queue))).messageCount;
    let leased = 0;
    let delayed = 0;
    for (const [receipt, lease] of this.leases) {
      if (lease.queue !== queue) continue;
      if (this.held.has(receipt)) delayed++;
      else leased++;
    }
    return { ready, delayed, leased, dead };
  }

  async deadLetters(queue: string, limit = 100): Promise<DeadLetter[]> {
    const link = await this.linkFor();
    await this.declareQueue(link, queue);
    // Read without acknowledging: closing the channel puts every one back.
    const all = await this.connection.withChannel((ch) => drain(ch, deadQueue(queue), PEEK_MAX));
    return all.slice(-limit).map((m) => deadLetterOf(m, queue));
  }

  requeueDead(queue: string, ids: string[] | undefined, limit: number): Promise<number> {
    return this.takeDead(queue, ids, limit, (ch, m) => {
      let envelope: KombuEnvelope;
      try {
        envelope = JSON.parse(m.content.toString()) as KombuEnvelope;
        const frame = frameOfEnvelope(envelope, { exchange: '', routingKey: queue });
        ch.publish(frame.exchange, frame.routingKey, frame.content, frame.options);
      } catch {
        // Not an envelope: back as it came, to be dead-lettered again when read.
        ch.sendToQueue(queue, m.content, { persistent: true });
      }
    });
  }

  dropDead(queue: string, ids: string[] | undefined, limit: number): Promise<number> {
    return this.takeDead(queue, ids, limit, () => undefined);
  }

  private async takeDead(queue: string, ids: string[] | undefined, limit: number, onEach: (ch: ConfirmChannel, m: GetMessage) => void): Promise<number> {
    const link = await this.linkFor();
    await this.declareQueue(link, queue);
    const wanted = ids && new Set(ids);
    return this.connection.withChannel(async (ch) => {
      const all = await drain(ch, deadQueue(queue), PEEK_MAX);
      const chosen = (wanted ? all.filter((m) => wanted.has(deadLetterOf(m, queue).id)) : all).slice(0, limit);
      for (const m of chosen) onEach(ch, m);
      await ch.waitForConfirms();
      for (const m of chosen) ch.ack(m);
      return chosen.length;
    });
  }

  async purge(queue: string): Promise<number> {
    const link = await this.linkFor();
    await this.declareQueue(link, queue);
    return (await link.confirm.purgeQueue(queue)).messageCount;
  }

  /** The queues this process declared (RabbitMQ lists queues only through its management plugin). */
  listQueues(): Promise<string[]> {
    return Promise.resolve([...this.knownQueues].sort());
  }

  /** Python Celery workers on the same queue know no pause flag. */
  setPaused(): Promise<void> {
    return Promise.reject(new UnsupportedByAdapterError('celery', 'pause or resume a queue (Python workers on the same queue would not see it)'));
  }
  pausedQueues(): Promise<string[]> {
    return Promise.resolve([]);
  }
  setConcurrency(): Promise<void> {
    return Promise.reject(new UnsupportedByAdapterError('celery', "limit a queue's concurrency (Python workers on the same queue would not see it)"));
  }
}

async function drain(ch: Channel, queue: string, max: number): Promise<GetMessage[]> {
  const out: GetMessage[] = [];
  while (out.length < max) {
    const m = await ch.get(queue, { noAck: false });
    if (m === false) break;
    out.push(m);
  }
  return out;
}

function deadLetterOf(m: GetMessage, queue: string): DeadLetter {
  const h = m.properties.headers ?? {};
  return { id: String(h[DEAD_HEADER.id] ?? ''), queue, body: m.content.toString(), reason: String(h[DEAD_HEADER.reason] ?? ''), at: Number(h[DEAD_HEADER.at] ?? 0) };
}
