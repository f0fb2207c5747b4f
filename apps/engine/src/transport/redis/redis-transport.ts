// The production transport. Every state change is one Lua script (see
// ./scripts); this class only picks keys and arguments and parses replies.
import type { Redis } from 'ioredis';
import type {
  ControlMessage,
  DeadLetter,
  Delivery,
  OutgoingMessage,
  QueueStats,
  ReserveResult,
  Transport,
} from '../transport.js';
import { createRedisClient, duplicateClient, type RedisClient } from './connection.js';
import { controlChannel, queueKeys, queuesKey, rateLimitKey, revokedFlagKey } from './keys.js';
import { defineScripts, runScript } from './scripts.js';
import { RedisScheduleStore } from './redis-schedule-store.js';

export class RedisTransport implements Transport {
  readonly kind = 'redis';
  readonly client: RedisClient;
  private blocking: RedisClient | undefined;
  private subscriber: RedisClient | undefined;
  private readonly controlListeners = new Set<(m: ControlMessage) => void>();
  private readonly knownQueues = new Set<string>();
  private readonly ackBatches = new Map<string, { ids: string[]; promise: Promise<void> }>();
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly prefix: string,
  ) {
    this.client = createRedisClient(url);
    defineScripts(this.client);
  }

  async connect(): Promise<void> {
    this.closed = false;
    if ((this.client as Redis).status === 'wait') await (this.client as Redis).connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.blocking?.disconnect();
    this.blocking = undefined;
    if (this.subscriber) {
      this.subscriber.disconnect();
      this.subscriber = undefined;
    }
    await this.client.quit().catch(() => undefined);
  }

  /** Remembers the queue name in a shared set, once per process, so revoke can reach its slot. */
  private noteQueue(queue: string, pipeline?: ReturnType<RedisClient['pipeline']>): void {
    if (this.knownQueues.has(queue)) return;
    this.knownQueues.add(queue);
    if (pipeline) pipeline.sadd(queuesKey(this.prefix), queue);
    else void this.client.sadd(queuesKey(this.prefix), queue).catch(() => this.knownQueues.delete(queue));
  }

  private enqueueKeys(queue: string): string[] {
    const k = queueKeys(this.prefix, queue);
    return [k.ready, k.delayed, k.messages, k.priorities, k.sequence, k.marker];
  }

  async enqueue(m: OutgoingMessage): Promise<void> {
    this.noteQueue(m.queue);
    await runScript(this.client, 'enqueue', this.enqueueKeys(m.queue), [Date.now(), m.id, m.body, m.priority, m.eta ?? '']);
  }

  async enqueueBulk(messages: OutgoingMessage[]): Promise<void> {
    const byQueue = new Map<string, OutgoingMessage[]>();
    for (const m of messages) {
      const list = byQueue.get(m.queue) ?? [];
      list.push(m);
      byQueue.set(m.queue, list);
    }
    const pipeline = this.client.pipeline();
    const now = Date.now();
    for (const [queue, list] of byQueue) {
      this.noteQueue(queue, pipeline);
      // Chunks keep each script short, so one bulk call never stalls Redis for long.
      for (let i = 0; i < list.length; i += 500) {
        const argv: (string | number)[] = [now];
        for (const m of list.slice(i, i + 500)) argv.push(m.id, m.body, m.priority, m.eta ?? '');
        void runScript(pipeline, 'enqueue', this.enqueueKeys(queue), argv);
      }
    }
    const replies = await pipeline.exec();
    for (const [err] of replies ?? []) if (err) throw err;
  }

  async promoteDue(queue: string, now = Date.now()): Promise<number> {
    const k = queueKeys(this.prefix, queue);
    return Number(await runScript(this.client, 'promote', [k.delayed, k.ready, k.priorities, k.sequence, k.marker], [now, 1000]));
  }

  async reserve(queues: string[], count: number, leaseMs: number): Promise<ReserveResult> {
    const result: ReserveResult = { deliveries: [], revoked: [] };
    const now = Date.now();
    for (const queue of queues) {
      const want = count - result.deliveries.length;
      if (want <= 0) break;
      const k = queueKeys(this.prefix, queue);
      const flat = (await runScript(
        this.client,
        'reserve',
        [k.ready, k.messages, k.leased, k.deliveries, k.revoked, k.priorities, k.marker],
        [now, want, leaseMs],
      )) as (string | number)[];
      for (let i = 0; i < flat.length; i += 3) {
        const id = String(flat[i]);
        const body = String(flat[i + 1]);
        const n = Number(flat[i + 2]);
        if (n < 0) result.revoked.push({ id, queue, body });
        else result.deliveries.push({ id, queue, body, deliveries: n });
      }
    }
    return result;
  }

  async waitForWork(queues: string[], timeoutMs: number): Promise<void> {
    if (this.closed) return;
    this.blocking ??= duplicateClient(this.client);
    const markers = queues.map((q) => queueKeys(this.prefix, q).marker);
    try {
      await (this.blocking as Redis).blpop(...markers, Math.max(0.01, timeoutMs / 1000));
    } catch {
      // Disconnected by close(): nothing to wait for any more.
    }
  }

  async renewLeases(deliveries: Delivery[], leaseMs: number): Promise<void> {
    const byQueue = new Map<string, string[]>();
    for (const d of deliveries) byQueue.set(d.queue, [...(byQueue.get(d.queue) ?? []), d.id]);
    const until = Date.now() + leaseMs;
    await Promise.all(
      [...byQueue].map(([queue, ids]) => runScript(this.client, 'renew', [queueKeys(this.prefix, queue).leased], [until, ...ids])),
    );
  }

  /**
   * Acks are gathered for one event-loop turn and sent as one script call per
   * queue: a busy worker settles hundreds of tasks per round trip.
   */
  ack(d: Delivery): Promise<void> {
    let batch = this.ackBatches.get(d.queue);
    if (!batch) {
      const ids: string[] = [];
      const promise = new Promise<void>((resolve, reject) => {
        setImmediate(() => {
          this.ackBatches.delete(d.queue);
          const k = queueKeys(this.prefix, d.queue);
          runScript(this.client, 'ack', [k.leased, k.messages, k.deliveries, k.priorities], ids).then(() => resolve(), reject);
        });
      });
      batch = { ids, promise };
      this.ackBatches.set(d.queue, batch);
    }
    batch.ids.push(d.id);
    return batch.promise;
  }

  async retryLater(d: Delivery, body: string, eta: number, options: { keepDeliveries?: boolean } = {}): Promise<void> {
    const k = queueKeys(this.prefix, d.queue);
    await runScript(
      this.client,
      'retry-later',
      [k.leased, k.messages, k.deliveries, k.delayed, k.ready, k.priorities, k.sequence, k.marker],
      [d.id, body, eta, Date.now(), options.keepDeliveries ? '1' : '0'],
    );
  }

  async deadLetter(d: Delivery, reason: string): Promise<void> {
    const k = queueKeys(this.prefix, d.queue);
    await runScript(this.client, 'dead-letter', [k.leased, k.messages, k.deliveries, k.priorities, k.dead], [d.id, reason, Date.now(), d.body]);
  }

  async revoke(ids: string[], ttlMs: number): Promise<void> {
    if (ids.length === 0) return;
    const queues = new Set([...this.knownQueues, ...(await this.client.smembers(queuesKey(this.prefix)))]);
    const until = Date.now() + ttlMs;
    const pipeline = this.client.pipeline();
    for (const queue of queues) void runScript(pipeline, 'revoke', [queueKeys(this.prefix, queue).revoked], [until, ...ids]);
    for (const id of ids) pipeline.set(revokedFlagKey(this.prefix, id), '1', 'PX', ttlMs);
    await pipeline.exec();
  }

  async isRevoked(id: string): Promise<boolean> {
    return (await this.client.exists(revokedFlagKey(this.prefix, id))) === 1;
  }

  async recoverExpired(queue: string, maxDeliveries: number, now = Date.now()): Promise<{ requeued: number; dead: number }> {
    const k = queueKeys(this.prefix, queue);
    const [requeued, dead] = (await runScript(
      this.client,
      'recover',
      [k.leased, k.messages, k.deliveries, k.priorities, k.ready, k.dead, k.sequence, k.marker],
      [now, maxDeliveries, 1000],
    )) as [number, number];
    return { requeued: Number(requeued), dead: Number(dead) };
  }

  async takeToken(key: string, perMs: number, capacity: number): Promise<number> {
    return Number(await runScript(this.client, 'rate-limit', [rateLimitKey(this.prefix, key)], [Date.now(), perMs, capacity]));
  }

  async publishControl(message: ControlMessage): Promise<void> {
    await this.client.publish(controlChannel(this.prefix), JSON.stringify(message));
  }

  async onControl(listener: (message: ControlMessage) => void): Promise<() => Promise<void>> {
    if (!this.subscriber) {
      const sub = duplicateClient(this.client);
      this.subscriber = sub;
      sub.on('message', (_channel: string, raw: string) => {
        let message: ControlMessage;
        try {
          message = JSON.parse(raw) as ControlMessage;
        } catch {
          return;
        }
        for (const l of this.controlListeners) l(message);
      });
      await sub.subscribe(controlChannel(this.prefix));
    }
    this.controlListeners.add(listener);
    return () => {
      this.controlListeners.delete(listener);
      return Promise.resolve();
    };
  }

  async queueStats(queue: string): Promise<QueueStats> {
    const k = queueKeys(this.prefix, queue);
    const [ready, delayed, leased, dead] = await Promise.all([
      this.client.zcard(k.ready),
      this.client.zcard(k.delayed),
      this.client.zcard(k.leased),
      this.client.llen(k.dead),
    ]);
    return { ready, delayed, leased, dead };
  }

  async deadLetters(queue: string, limit = 100): Promise<DeadLetter[]> {
    const raw = await this.client.lrange(queueKeys(this.prefix, queue).dead, String(-limit), '-1');
    return raw.map((r) => ({ ...(JSON.parse(r) as Omit<DeadLetter, 'queue'>), queue }));
  }

  async purge(queue: string): Promise<number> {
    const k = queueKeys(this.prefix, queue);
    const [ready, delayed] = await Promise.all([this.client.zrange(k.ready, '0', '-1'), this.client.zrange(k.delayed, '0', '-1')]);
    const ids = [...ready, ...delayed];
    const pipeline = this.client.pipeline();
    pipeline.del(k.ready, k.delayed);
    if (ids.length > 0) pipeline.hdel(k.messages, ...ids).hdel(k.priorities, ...ids).hdel(k.deliveries, ...ids);
    await pipeline.exec();
    return ids.length;
  }

  scheduleStore(): RedisScheduleStore {
    return new RedisScheduleStore(this.client, this.prefix, this);
  }

  toString(): string {
    return `RedisTransport(${this.url})`;
  }
}
