// The control bus port on Redis: pub/sub for the broadcast channel, a list per
// request for its replies (the caller pops them with BLPOP).
import type { Redis } from 'ioredis';
import type { ControlBus, ControlMessage, ControlReplyEnvelope } from '../../control/control-bus.js';
import { duplicateClient, type RedisClient } from './connection.js';
import type { ConnectionWatch } from './connection-watch.js';
import { controlChannel, replyKey } from './keys.js';

export class RedisControlBus implements ControlBus {
  private subscriber: RedisClient | undefined;
  private readonly listeners = new Set<(m: ControlMessage) => void>();

  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
    private readonly watch: ConnectionWatch,
  ) {}

  close(): void {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  async publish(message: ControlMessage): Promise<void> {
    await this.client.publish(controlChannel(this.prefix), JSON.stringify(message));
  }

  async subscribe(listener: (message: ControlMessage) => void): Promise<() => Promise<void>> {
    if (!this.subscriber) {
      const sub = duplicateClient(this.client, this.watch);
      this.subscriber = sub;
      sub.on('message', (_channel: string, raw: string) => {
        let message: ControlMessage;
        try {
          message = JSON.parse(raw) as ControlMessage;
        } catch {
          return;
        }
        for (const l of this.listeners) l(message);
      });
      await sub.subscribe(controlChannel(this.prefix));
    }
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
      return Promise.resolve();
    };
  }

  async sendReply(replyTo: string, reply: ControlReplyEnvelope): Promise<void> {
    const key = replyKey(this.prefix, replyTo);
    await this.client.pipeline().rpush(key, JSON.stringify(reply)).pexpire(key, 60_000).exec();
  }

  async collectReplies(replyTo: string, timeoutMs: number, expected?: number): Promise<ControlReplyEnvelope[]> {
    const key = replyKey(this.prefix, replyTo);
    const client = duplicateClient(this.client, this.watch);
    const out: ControlReplyEnvelope[] = [];
    const deadline = Date.now() + timeoutMs;
    try {
      while (expected === undefined || out.length < expected) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        const got = await (client as Redis).blpop(key, Math.max(0.01, left / 1000));
        if (!got) break;
        out.push(JSON.parse(got[1]) as ControlReplyEnvelope);
      }
      await client.del(key);
    } finally {
      client.disconnect();
    }
    return out;
  }
}
