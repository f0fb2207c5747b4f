// The production transport. Every state change is one Lua script (see
// ./scripts); this class only picks keys and arguments and parses replies.
import type { Redis } from 'ioredis';
import type {
  ControlMessage,
  ControlReplyEnvelope,
  DeadLetter,
  Delivery,
  OutgoingMessage,
  QueueStats,
  ReadGroupOptions,
  ReserveResult,
  StreamEntry,
  Transport,
  WorkerRecord,
} from '../transport.js';
import type { Logger } from '../../app/logger.js';
import { createRedisClient, duplicateClient, type RedisClient } from './connection.js';
import { ConnectionWatch, redactUrl } from './connection-watch.js';
import {
  controlChannel,
  eventsKey,
  queueKeys,
  queuesKey,
  rateLimitKey,
  replyKey,
  revokedFlagKey,
  workersInfoKey,
  workersKey,
} from './keys.js';
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

  private readonly watch: ConnectionWatch;

  constructor(
    private readonly url: string,
    private readonly prefix: string,
    logger: Logger,
  ) {
    this.watch = new ConnectionWatch(logger, 'broker', url);
    this.client = createRedisClient(url, this.watch);
    defineScripts(this.client);
  }

  async connect(): Promise<void> {
    this.closed = false;
    if ((this.client as Redis).status === 'wait') await (this.client as Redis).connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.readers.values()) c.disconnect();
    this.readers.clear();
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
    return [k.ready, k.delayed, k.messages, k.priorities, k.sequence, k.marker, k.rate];
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
    this.blocking ??= duplicateClient(this.client, this.watch);
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
          runScript(this.client, 'ack', [k.leased, k.messages, k.deliveries, k.priorities, k.rate], [Math.floor(Date.now() / 60_000), ...ids]).then(() => resolve(), reject);
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
      const sub = duplicateClient(this.client, this.watch);
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
    const [ready, delayed, leased, dead, head, rate] = await Promise.all([
      this.client.zcard(k.ready),
      this.client.zcard(k.delayed),
      this.client.zcard(k.leased),
      this.client.llen(k.dead),
      this.client.zrange(k.ready, '0', '0'),
      this.client.hgetall(k.rate),
    ]);
    const headBody = head[0] === undefined ? undefined : ((await this.client.hget(k.messages, head[0])) ?? undefined);
    const enqueuedByMinute: Record<number, number> = {};
    const dequeuedByMinute: Record<number, number> = {};
    const oldest = Math.floor(Date.now() / 60_000) - 60;
    const stale: string[] = [];
    for (const [field, value] of Object.entries(rate)) {
      const [dir, minute] = field.split(':');
      const m = Number(minute);
      if (m < oldest) stale.push(field);
      else (dir === 'in' ? enqueuedByMinute : dequeuedByMinute)[m] = Number(value);
    }
    // Counters older than an hour are dropped here, so the hash stays small.
    if (stale.length > 0) await this.client.hdel(k.rate, ...stale);
    return { ready, delayed, leased, dead, headBody, enqueuedByMinute, dequeuedByMinute };
  }

  async listQueues(): Promise<string[]> {
    return (await this.client.smembers(queuesKey(this.prefix))).sort();
  }

  async requeueDead(queue: string, ids: string[] | undefined, limit: number): Promise<number> {
    const k = queueKeys(this.prefix, queue);
    return Number(
      await runScript(this.client, 'requeue-dead', [k.dead, k.messages, k.ready, k.sequence, k.marker, k.deliveries], [limit, ...(ids ?? [])]),
    );
  }

  async dropDead(queue: string, ids: string[] | undefined, limit: number): Promise<number> {
    return Number(await runScript(this.client, 'drop-dead', [queueKeys(this.prefix, queue).dead], [limit, ...(ids ?? [])]));
  }

  async appendEvents(events: string[], maxLen: number): Promise<void> {
    if (events.length === 0) return;
    // One script call per chunk: one reply to parse instead of one per event.
    const key = eventsKey(this.prefix);
    for (let i = 0; i < events.length; i += 1_000) {
      await runScript(this.client, 'append-events', [key], [maxLen, ...events.slice(i, i + 1_000)]);
    }
  }

  private readonly readers = new Map<string, RedisClient>();

  /** A connection of its own for each blocking reader (XREADGROUP/XREAD BLOCK hold it). */
  private reader(name: string): RedisClient {
    let c = this.readers.get(name);
    if (!c) {
      c = duplicateClient(this.client, this.watch);
      this.readers.set(name, c);
    }
    return c;
  }

  async readEvents(o: ReadGroupOptions): Promise<StreamEntry[]> {
    const key = eventsKey(this.prefix);
    const client = this.reader(`group:${o.group}:${o.consumer}`);
    const read = async (): Promise<unknown> =>
      o.pendingAfter !== undefined
        ? client.xreadgroup('GROUP', o.group, o.consumer, 'COUNT', o.count, 'STREAMS', key, o.pendingAfter)
        : client.xreadgroup('GROUP', o.group, o.consumer, 'COUNT', o.count, 'BLOCK', Math.max(1, o.blockMs), 'STREAMS', key, '>');
    let reply: unknown;
    try {
      reply = await read();
    } catch (err) {
      if (!String(err).includes('NOGROUP')) throw err;
      await this.client.xgroup('CREATE', key, o.group, o.fromId ?? '$', 'MKSTREAM').catch((e: unknown) => {
        if (!String(e).includes('BUSYGROUP')) throw e;
      });
      reply = await read();
    }
    return parseStreamReply(reply);
  }

  async ackEvents(group: string, ids: string[]): Promise<void> {
    if (ids.length > 0) await this.client.xack(eventsKey(this.prefix), group, ...ids);
  }

  async tailEvents(afterId: string, count: number, blockMs: number): Promise<StreamEntry[]> {
    const client = this.reader('tail');
    const reply = await client.xread('COUNT', count, 'BLOCK', Math.max(1, blockMs), 'STREAMS', eventsKey(this.prefix), afterId);
    return parseStreamReply(reply);
  }

  async lastEventId(): Promise<string> {
    const last = (await this.client.xrevrange(eventsKey(this.prefix), '+', '-', 'COUNT', 1)) as [string, string[]][];
    return last[0]?.[0] ?? '0-0';
  }

  async heartbeat(hostname: string, info: string, ttlMs: number): Promise<void> {
    const now = Date.now();
    await this.client
      .pipeline()
      .zadd(workersKey(this.prefix), now + ttlMs, hostname)
      .hset(workersInfoKey(this.prefix), hostname, JSON.stringify({ at: now, info }))
      .exec();
  }

  async removeWorker(hostname: string): Promise<void> {
    await this.client.pipeline().zrem(workersKey(this.prefix), hostname).hdel(workersInfoKey(this.prefix), hostname).exec();
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    const now = Date.now();
    const flat = await this.client.zrangebyscore(workersKey(this.prefix), now, '+inf', 'WITHSCORES');
    const out: WorkerRecord[] = [];
    if (flat.length > 0) {
      const names = flat.filter((_, i) => i % 2 === 0);
      const infos = await this.client.hmget(workersInfoKey(this.prefix), ...names);
      names.forEach((hostname, i) => {
        const raw = infos[i];
        if (!raw) return;
        const { at, info } = JSON.parse(raw) as { at: number; info: string };
        out.push({ hostname, lastHeartbeat: at, expiresAt: Number(flat[i * 2 + 1]), info });
      });
    }
    // Forget workers that expired long ago (an hour): their last heartbeat is of no use any more.
    const gone = await this.client.zrangebyscore(workersKey(this.prefix), '-inf', now - 3_600_000);
    if (gone.length > 0) await this.client.pipeline().zrem(workersKey(this.prefix), ...gone).hdel(workersInfoKey(this.prefix), ...gone).exec();
    return out.sort((a, b) => a.hostname.localeCompare(b.hostname));
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
    return `RedisTransport(${redactUrl(this.url)})`;
  }
}

/** XREAD / XREADGROUP reply → entries (events are stored in the single field 'e'). */
function parseStreamReply(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  const out: StreamEntry[] = [];
  for (const [, entries] of reply as [string, [string, string[] | null][]][]) {
    for (const [id, fields] of entries) {
      // A pending entry trimmed away by MAXLEN comes back with no fields: acknowledge-only.
      const i = fields ? fields.indexOf('e') : -1;
      out.push({ id, event: i >= 0 ? fields![i + 1]! : '' });
    }
  }
  return out;
}
