// The broker port on kombu's Redis layout, so Lovage and Python Celery workers
// share queues: messages are kombu envelopes LPUSHed to a queue's priority
// sub-list, and a reservation is kombu's ack emulation (an entry in `unacked`
// and `unacked_index`), which either side can restore for the other.
//
// How the port's transitions map onto kombu (kombu/transport/redis.py, 5.2.4):
// - enqueue: SADD the queue's binding once, LPUSH the envelope to the list of
//   its priority step. An eta travels in the message's headers, as in Celery:
//   the message is in the list at once.
// - reserve: kombu-reserve-n.lua pops in kombu's order and writes the unacked
//   entry; an envelope kombu could not track goes straight to the dead-letter
//   list.
// - ack: ZREM + HDEL; the acks settled in one turn go out as one ZREM and one
//   HDEL with every tag, in the batch's MULTI. A retry (a new body) acks and LPUSHes the new message,
//   as Celery's retry re-publishes. A dead letter acks and pushes the message
//   with its reason onto `_lovage.dead.<queue>`.
// - parked (an eta or a rate limit not yet due): the unacked entry stays, its
//   index score moved to `eta - visibility timeout`, so the ordinary restore
//   brings it back when it is due, whoever runs the restore. Celery instead
//   keeps such messages in a worker's memory.
// - hand-back and recoverExpired: kombu's restore (RPUSH, marked redelivered),
//   recoverExpired under `unacked_mutex` as kombu's restore_visible.
// - maxDeliveries: kombu counts no deliveries, so Lovage counts the restores
//   it makes in the envelope (`properties.lovage_restores`, which kombu and
//   Celery carry along untouched, restores included). A message whose
//   visibility timeout passes for the maxDeliveries-th time goes to the
//   dead-letter list with the same reason as on Lovage's own protocol. A
//   restore made by a Python worker is not counted (it does not know the
//   field), so a message shuttled only between Python workers is never
//   dead-lettered this way.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type {
  Broker,
  DeadLetter,
  Delivery,
  OutgoingMessage,
  QueueStats,
  ReserveResult,
  Settlement,
} from '../../worker/broker.js';
import { UnsupportedByAdapterError } from '../../errors.js';
import { queueScript, runScript } from '../redis/scripts.js';
import type { KombuLayout } from './kombu-layout.js';
import { decodeUnackedEntry, markRedelivered } from './unacked-entry.js';
import { isRecord, type WireRecord } from './wire-shape.js';

/** kombu's unacked_mutex_expire: a restore holds the mutex at most this long. */
const MUTEX_MS = 300_000;
/** How often waitForWork looks at the lists (kombu's lists offer no wake-up that does not pop). */
const WAIT_POLL_MS = 50;
/** Entries restored per recoverExpired call, as kombu's unacked_restore_limit bounds its own. */
const RESTORE_BATCH = 100;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface CeleryBrokerOptions {
  /** kombu's visibility_timeout: an unacked message older than this is restored to its queue. */
  visibilityTimeoutMs: number;
}

/** Where Lovage counts the restores it made of a message: an envelope property kombu carries along. */
const RESTORES = 'lovage_restores';
const RESTORES_PATTERN = /"lovage_restores":\s*(\d+)/;

/** How many times a message was delivered, from its body: its counted restores plus this delivery (at least 2 when redelivered). */
function deliveriesOf(body: string, redelivered: boolean): number {
  if (!redelivered) return 1;
  const restores = Number(RESTORES_PATTERN.exec(body)?.[1] ?? 1);
  return Math.max(2, restores + 1);
}

/** The routing and priority of an envelope, read leniently (a restore must put back even a bad message). */
function routeOf(envelope: WireRecord, fallbackQueue: string): { exchange: string; routingKey: string; priority: number } {
  const props = isRecord(envelope.properties) ? envelope.properties : {};
  const info = isRecord(props.delivery_info) ? props.delivery_info : {};
  return {
    exchange: typeof info.exchange === 'string' ? info.exchange : '',
    routingKey: typeof info.routing_key === 'string' ? info.routing_key : fallbackQueue,
    priority: typeof props.priority === 'number' ? props.priority : 0,
  };
}

export class CeleryBroker implements Broker {
  private readonly bound = new Set<string>();
  private closed = false;

  constructor(
    private readonly client: Redis,
    private readonly layout: KombuLayout,
    private readonly options: CeleryBrokerOptions,
  ) {}

  close(): void {
    this.closed = true;
  }

  private receipt(d: Delivery): string {
    return d.receipt ?? d.id;
  }

  /** SADD the queue's binding, once per process (kombu's producer declares it once per connection). */
  private bind(queue: string, pipeline: ReturnType<Redis['pipeline']>): void {
    if (this.bound.has(queue)) return;
    this.bound.add(queue);
    const binding = this.layout.queueBinding(queue);
    pipeline.sadd(binding.key, binding.member);
  }

  async enqueue(m: OutgoingMessage): Promise<void> {
    await this.enqueueBulk([m]);
  }

  async enqueueBulk(messages: OutgoingMessage[]): Promise<void> {
    const pipeline = this.client.pipeline();
    for (const m of messages) {
      this.bind(m.queue, pipeline);
      pipeline.lpush(this.layout.queueKey(m.queue, m.priority), m.body);
    }
    const replies = await pipeline.exec();
    for (const [err] of replies ?? []) if (err) throw err;
  }

  /** kombu has no delayed set: parked messages wait in `unacked` and come back through recoverExpired. */
  promoteDue(): Promise<number> {
    return Promise.resolve(0);
  }

  async reserve(queues: string[], count: number): Promise<ReserveResult> {
    const keys = [this.layout.unackedKey, this.layout.unackedIndexKey];
    for (const list of this.layout.consumeKeys(queues)) {
      keys.push(list, this.layout.deadLetterKey(this.layout.queueOfKey(list)));
    }
    const now = Date.now();
    const flat = (await runScript(this.client, 'kombu-reserve', keys, [now / 1000, count, now])) as string[];
    const result: ReserveResult = { deliveries: [], revoked: [], deadLettered: [] };
    for (let i = 0; i < flat.length; ) {
      if (flat[i] === 'd') {
        const [, tag, id, list, body, redelivered] = flat.slice(i, i + 6) as [string, string, string, string, string, string];
        result.deliveries.push({ id, receipt: tag, queue: this.layout.queueOfKey(list), body, deliveries: deliveriesOf(body, redelivered === '1') });
        i += 6;
      } else {
        const [, id, list, reason] = flat.slice(i, i + 4) as [string, string, string, string];
        result.deadLettered!.push({ id, queue: this.layout.queueOfKey(list), reason });
        i += 4;
      }
    }
    return result;
  }

  async waitForWork(queues: string[], timeoutMs: number): Promise<void> {
    const keys = this.layout.consumeKeys(queues);
    const until = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < until) {
      if ((await this.client.exists(...keys)) > 0) return;
      await sleep(Math.min(WAIT_POLL_MS, Math.max(0, until - Date.now())));
    }
  }

  /** Moves the unacked index score to now: a running Lovage task is never restored under another worker. */
  async renewLeases(deliveries: Delivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    const now = Date.now() / 1000;
    const args: (string | number)[] = [];
    for (const d of deliveries) args.push(now, this.receipt(d));
    await this.client.zadd(this.layout.unackedIndexKey, 'XX', ...args);
  }

  async settle(batch: Settlement[]): Promise<void> {
    if (batch.length === 0) return;
    // One MULTI for the batch: each settlement's commands apply together (settlements are independent).
    const pipeline = this.client.multi();
    const now = Date.now();
    // The acks of the batch as one ZREM and one HDEL: two commands however many tasks ended this turn.
    const acked: string[] = [];
    for (const s of batch) {
      const tag = this.receipt(s.delivery);
      if (s.kind === 'ack') {
        acked.push(tag);
      } else if (s.kind === 'dead') {
        const entry = JSON.stringify({ id: s.delivery.id, queue: s.delivery.queue, body: s.delivery.body, reason: s.reason, at: now });
        pipeline
          .zrem(this.layout.unackedIndexKey, tag)
          .hdel(this.layout.unackedKey, tag)
          .lpush(this.layout.deadLetterKey(s.delivery.queue), entry);
      } else if (s.body !== s.delivery.body) {
        // A retry: Celery acks the message and publishes the next try (retries + 1, its eta in the headers).
        const route = routeOf(JSON.parse(s.body) as WireRecord, s.delivery.queue);
        this.bind(route.routingKey, pipeline);
        pipeline
          .zrem(this.layout.unackedIndexKey, tag)
          .hdel(this.layout.unackedKey, tag)
          .lpush(this.layout.queueKey(route.routingKey, route.priority), s.body);
      } else if (s.eta > now) {
        // Parked: the restore brings it back once `eta` is older than the visibility timeout allows.
        pipeline.zadd(this.layout.unackedIndexKey, 'XX', (s.eta - this.options.visibilityTimeoutMs) / 1000, tag);
      } else {
        const envelope = JSON.parse(s.body) as WireRecord;
        const route = routeOf(envelope, s.delivery.queue);
        queueScript(
          pipeline,
          'kombu-restore',
          [this.layout.unackedKey, this.layout.unackedIndexKey, this.layout.queueKey(s.delivery.queue, route.priority)],
          [tag, '', JSON.stringify(markRedelivered(envelope)), 'right'],
        );
      }
    }
    if (acked.length > 0) pipeline.zrem(this.layout.unackedIndexKey, ...acked).hdel(this.layout.unackedKey, ...acked);
    const replies = await pipeline.exec();
    for (const [err] of replies ?? []) if (err) throw err;
  }

  async revoke(ids: string[], ttlMs: number): Promise<void> {
    const pipeline = this.client.pipeline();
    for (const id of ids) pipeline.set(this.layout.revokedKey(id), '1', 'PX', ttlMs);
    await pipeline.exec();
  }

  async isRevoked(id: string): Promise<boolean> {
    return (await this.client.exists(this.layout.revokedKey(id))) === 1;
  }

  /** The queues a message routed by `exchange` and `routingKey` goes to (kombu's _lookup). */
  private async lookup(exchange: string, routingKey: string): Promise<string[]> {
    if (exchange === '') return [routingKey];
    const members = await this.client.smembers(this.layout.bindingKey(exchange));
    const queues = members.map((m) => this.layout.parseBindingMember(m)).filter((b) => b.routingKey === routingKey || b.routingKey === '');
    return queues.length > 0 ? queues.map((b) => b.queue) : [routingKey];
  }

  /**
   * kombu's restore_visible: under `unacked_mutex` (so a Python worker never
   * restores the same entries at the same time), every unacked message whose
   * score is older than the visibility timeout goes back to its queue,
   * marked redelivered. Parked messages come back this way when they are due.
   * Restoring is cluster-wide, like kombu's: `queue` only names where an
   * unreadable entry is dead-lettered. A message that was delivered
   * `maxDeliveries` times (counted in its envelope, see the header) goes to its
   * queue's dead-letter list instead, in the same atomic step a restore is.
   */
  async recoverExpired(queue: string, maxDeliveries = Number.POSITIVE_INFINITY): Promise<{ requeued: number; dead: number }> {
    const ceiling = (Date.now() - this.options.visibilityTimeoutMs) / 1000;
    if ((await this.client.zcount(this.layout.unackedIndexKey, 0, ceiling)) === 0) return { requeued: 0, dead: 0 };
    const token = randomUUID().replace(/-/g, '');
    const mutex = this.layout.unackedMutexKey;
    if ((await this.client.set(mutex, token, 'PX', MUTEX_MS, 'NX')) !== 'OK') return { requeued: 0, dead: 0 };
    let requeued = 0;
    let dead = 0;
    try {
      const tags = await this.client.zrevrangebyscore(this.layout.unackedIndexKey, ceiling, 0, 'LIMIT', 0, RESTORE_BATCH);
      for (const tag of tags) {
        const text = await this.client.hget(this.layout.unackedKey, tag);
        if (text === null) {
          // An index entry without its message (kombu leaves these too): drop it.
          await this.client.zrem(this.layout.unackedIndexKey, tag);
          continue;
        }
        let entry;
        try {
          entry = decodeUnackedEntry(text);
        } catch (err) {
          const reason = `malformed unacked entry: ${(err as Error).message}`;
          await this.client
            .multi()
            .zrem(this.layout.unackedIndexKey, tag)
            .hdel(this.layout.unackedKey, tag)
            .lpush(this.layout.deadLetterKey(queue), JSON.stringify({ id: tag, queue, body: text, reason, at: Date.now() }))
            .exec();
          dead++;
          continue;
        }
        const route = routeOf(entry.envelope, entry.routingKey);
        const [target = entry.routingKey] = await this.lookup(entry.exchange, entry.routingKey);
        const props = isRecord(entry.envelope.properties) ? entry.envelope.properties : {};
        const redelivered = isRecord(props.delivery_info) && props.delivery_info.redelivered === true;
        // This delivery expired: the message has now been delivered `delivered` times.
        const delivered = typeof props[RESTORES] === 'number' ? props[RESTORES] + 1 : redelivered ? 2 : 1;
        if (delivered >= maxDeliveries) {
          const headers = isRecord(entry.envelope.headers) ? entry.envelope.headers : {};
          const id = typeof headers.id === 'string' ? headers.id : typeof props.correlation_id === 'string' ? props.correlation_id : tag;
          const reason = `lease expired after ${delivered} deliveries (maxDeliveries ${maxDeliveries})`;
          const letter = JSON.stringify({ id, queue: target, body: JSON.stringify(entry.envelope), reason, at: Date.now() });
          // The same compare-and-move as a restore, into the dead-letter list.
          const moved = await runScript(
            this.client,
            'kombu-restore',
            [this.layout.unackedKey, this.layout.unackedIndexKey, this.layout.deadLetterKey(target)],
            [tag, text, letter, 'left'],
          );
          if (Number(moved) === 1) dead++;
          continue;
        }
        const envelope = markRedelivered(entry.envelope);
        const restored = await runScript(
          this.client,
          'kombu-restore',
          [this.layout.unackedKey, this.layout.unackedIndexKey, this.layout.queueKey(target, route.priority)],
          [tag, text, JSON.stringify({ ...envelope, properties: { ...(isRecord(envelope.properties) ? envelope.properties : {}), [RESTORES]: delivered } }), 'right'],
        );
        if (Number(restored) === 1) requeued++;
      }
    } finally {
      // Released only if still ours (compare-and-delete), like redis-py's Lock.release.
      await runScript(this.client, 'beat-unlock', [mutex], [token]).catch(() => undefined);
    }
    return { requeued, dead };
  }

  async takeToken(key: string, perMs: number, capacity: number): Promise<number> {
    return Number(await runScript(this.client, 'rate-limit', [this.layout.rateLimitKey(key)], [Date.now(), perMs, capacity]));
  }

  async queueStats(queue: string): Promise<QueueStats> {
    const pipeline = this.client.pipeline();
    const lists = this.layout.queueKeys(queue);
    for (const key of lists) pipeline.llen(key);
    pipeline.llen(this.layout.deadLetterKey(queue));
    for (const key of lists) pipeline.lindex(key, -1);
    const replies = (await pipeline.exec()) ?? [];
    const values = replies.map(([err, value]) => {
      if (err) throw err;
      return value;
    });
    const ready = values.slice(0, lists.length).reduce<number>((sum, n) => sum + Number(n), 0);
    const head = values.slice(lists.length + 1).find((v): v is string => typeof v === 'string');
    // `unacked` is one hash for every queue: what is leased or parked per queue is not known without reading it all.
    return { ready, delayed: 0, leased: 0, dead: Number(values[lists.length]), headBody: head };
  }

  private parseDead(text: string, queue: string): DeadLetter {
    const rec = JSON.parse(text) as { id?: string; queue?: string; list?: string; body?: string; reason?: string; at?: number };
    return {
      id: rec.id ?? '',
      queue: rec.queue ?? (rec.list === undefined ? queue : this.layout.queueOfKey(rec.list)),
      body: rec.body ?? '',
      reason: rec.reason ?? '',
      at: rec.at ?? 0,
    };
  }

  async deadLetters(queue: string, limit = 100): Promise<DeadLetter[]> {
    const raw = await this.client.lrange(this.layout.deadLetterKey(queue), 0, limit - 1);
    return raw.map((text) => this.parseDead(text, queue));
  }

  /** Python Celery workers share these lists and know no pause flag: a pause here would stop only Lovage's workers. */
  setPaused(): Promise<void> {
    return Promise.reject(new UnsupportedByAdapterError('celery', 'pause or resume a queue (Python workers on the same lists would not see it)'));
  }
  /** Never paused: this adapter cannot pause a queue. */
  pausedQueues(): Promise<string[]> {
    return Promise.resolve([]);
  }

  /** Python Celery workers would neither count against a Lovage limit nor honour it. */
  setConcurrency(): Promise<void> {
    return Promise.reject(new UnsupportedByAdapterError('celery', "limit a queue's concurrency (Python workers on the same lists would not see it)"));
  }


  async purge(queue: string): Promise<number> {
    const lists = this.layout.queueKeys(queue);
    const pipeline = this.client.pipeline();
    for (const key of lists) pipeline.llen(key);
    pipeline.del(...lists);
    const replies = (await pipeline.exec()) ?? [];
    return replies.slice(0, lists.length).reduce((sum, [, n]) => sum + Number(n), 0);
  }

  async listQueues(): Promise<string[]> {
    const queues = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', this.layout.bindingPattern, 'COUNT', 200);
      cursor = next;
      for (const key of keys) {
        for (const member of await this.client.smembers(key)) {
          const queue = this.layout.parseBindingMember(member).queue;
          // Pidbox mailboxes and reply queues are bindings too, not task queues.
          if (queue !== '' && !queue.endsWith(this.layout.pidboxExchange)) queues.add(queue);
        }
      }
    } while (cursor !== '0');
    return [...queues].sort();
  }

  /** Dead letters chosen by id (or the oldest `limit`), with their raw list entries. */
  private async pickDead(queue: string, ids: string[] | undefined, limit: number): Promise<{ raw: string; letter: DeadLetter }[]> {
    const raw = await this.client.lrange(this.layout.deadLetterKey(queue), 0, -1);
    // LPUSHed: the oldest are at the end.
    const all = raw.map((text) => ({ raw: text, letter: this.parseDead(text, queue) })).reverse();
    const wanted = ids === undefined ? all : all.filter((d) => ids.includes(d.letter.id));
    return wanted.slice(0, limit);
  }

  async requeueDead(queue: string, ids: string[] | undefined, limit: number): Promise<number> {
    let moved = 0;
    for (const { raw, letter } of await this.pickDead(queue, ids, limit)) {
      let priority = 0;
      try {
        priority = routeOf(JSON.parse(letter.body) as WireRecord, queue).priority;
      } catch {
        // Not JSON: it goes back as it came and is dead-lettered again when read.
      }
      // One transaction: the letter is never only out of the dead list and in no queue.
      await this.client.multi().lrem(this.layout.deadLetterKey(queue), 1, raw).lpush(this.layout.queueKey(queue, priority), letter.body).exec();
      moved++;
    }
    return moved;
  }

  async dropDead(queue: string, ids: string[] | undefined, limit: number): Promise<number> {
    let dropped = 0;
    for (const { raw } of await this.pickDead(queue, ids, limit)) {
      dropped += await this.client.lrem(this.layout.deadLetterKey(queue), 1, raw);
    }
    return dropped;
  }
}
