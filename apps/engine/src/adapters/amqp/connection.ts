// One AMQP connection that heals itself. amqplib does not reconnect: here a
// lost connection (RabbitMQ restarted, a network cut, a channel closed by an
// error) is dropped as a whole and opened again with backoff. Everything built
// on it asks `link()` for the current channels on each call, so the next call
// after a recovery re-declares its queues on the new connection (see
// `generation`), and a publish whose confirm was lost with the old channel is
// sent again on the new one: at-least-once, never lost.
//
// An outage logs one warning ("broker connection lost, reconnecting") and one
// info line when it is over; failed attempts in between go to debug, like the
// Redis adapter's connection-watch.ts.
import { connect, type Channel, type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';
import type { Logger } from '../../app/logger.js';
import { redact } from '../adapter.js';

/** The live channels of one connection. */
export interface Link {
  /** Counts connections opened: a delivery tag is only valid on the link it came from. */
  readonly generation: number;
  /** Publishes (with publisher confirms) and declarations. */
  readonly confirm: ConfirmChannel;
  /** basic.get and acks: the leases. Several, so a reserve's gets run side by side (each is a round trip). */
  readonly leases: Channel[];
  readonly model: ChannelModel;
}

const LEASE_CHANNELS = 8;
const BACKOFF_FIRST_MS = 100;
const BACKOFF_MAX_MS = 5_000;

export class AmqpConnection {
  private current: Promise<Link> | undefined;
  private generation = 0;
  private down = false;
  private closed = false;
  private readonly server: string;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
    private readonly role: string,
  ) {
    this.server = redact(url);
  }

  /** The live channels, connecting (and waiting out an outage) first if needed. */
  link(): Promise<Link> {
    if (this.closed) return Promise.reject(new Error(`${this.role} connection closed`));
    this.current ??= this.open();
    return this.current;
  }

  /** True while `link` is the connection in use (not lost, not replaced). */
  isLive(link: Link): boolean {
    return !this.closed && !this.down && link.generation === this.generation;
  }

  /**
   * Publishes one message and waits for RabbitMQ's confirm. A message whose
   * connection dies before the confirm is published again once it is back.
   */
  async publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
    for (;;) {
      const link = await this.link();
      try {
        await publishConfirmed(link.confirm, exchange, routingKey, content, options);
        return;
      } catch (err) {
        if (this.closed || this.isLive(link)) throw err;
        // The connection went away with the confirm: send it again on the next one.
      }
    }
  }

  /** A short-lived channel of its own (peeking at a queue: closing it puts unacked messages back). */
  async withChannel<T>(use: (channel: ConfirmChannel) => Promise<T>): Promise<T> {
    const link = await this.link();
    const channel = await link.model.createConfirmChannel();
    channel.on('error', () => undefined);
    try {
      return await use(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const current = this.current;
    this.current = undefined;
    const link = await current?.catch(() => undefined);
    await link?.model.close().catch(() => undefined);
  }

  private async open(): Promise<Link> {
    let wait = BACKOFF_FIRST_MS;
    for (;;) {
      try {
        const model = await connect(this.url);
        const link: Link = {
          generation: ++this.generation,
          model,
          confirm: await model.createConfirmChannel(),
          leases: await Promise.all(Array.from({ length: LEASE_CHANNELS }, () => model.createChannel())),
        };
        this.watch(link);
        if (this.down) this.logger.info({ role: this.role, server: this.server }, `${this.role} connection restored`);
        this.down = false;
        return link;
      } catch (err) {
        if (this.closed) throw new Error(`${this.role} connection closed`);
        this.lost(err);
        await new Promise((resolve) => setTimeout(resolve, wait));
        wait = Math.min(wait * 2, BACKOFF_MAX_MS);
      }
    }
  }

  /** Any channel or the connection closing unasked drops the whole link and opens a new one. */
  private watch(link: Link): void {
    const drop = (err?: unknown): void => {
      if (this.closed || link.generation !== this.generation || this.down) return;
      this.lost(err);
      this.current = undefined;
      link.model.close().catch(() => undefined);
      // Reconnect now, not on the next call, so recovery is logged even when idle.
      this.current = this.open();
      this.current.catch(() => undefined);
    };
    let lastError: unknown;
    const remember = (err: unknown): void => {
      lastError = err;
      this.logger.debug({ role: this.role, server: this.server, err: describe(err) }, `${this.role} connection error`);
    };
    for (const emitter of [link.model, link.confirm, ...link.leases]) {
      emitter.on('error', remember);
      emitter.on('close', () => drop(lastError));
    }
  }

  private lost(err: unknown): void {
    if (!this.down) {
      this.logger.warn({ role: this.role, server: this.server, err: describe(err) }, `${this.role} connection lost, reconnecting`);
    } else {
      this.logger.debug({ role: this.role, server: this.server, err: describe(err) }, `${this.role} connection attempt failed`);
    }
    this.down = true;
  }
}

function publishConfirmed(channel: ConfirmChannel, exchange: string, key: string, content: Buffer, options: Options.Publish): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      channel.publish(exchange, key, content, options, (err) => (err ? reject(err as Error) : resolve()));
    } catch (err) {
      // A closed channel throws at once instead of calling back.
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

function describe(err: unknown): { message: string; code?: string | undefined } | undefined {
  if (!(err instanceof Error)) return undefined;
  return { message: err.message, code: (err as { code?: string }).code };
}
