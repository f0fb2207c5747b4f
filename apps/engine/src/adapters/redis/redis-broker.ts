// The broker port on Redis. Every state change is one Lua script (see
// ./scripts); this class only picks keys and arguments and parses replies.
import type { Redis } from 'ioredis';
import type { Broker, DeadLetter, Delivery, OutgoingMessage, QueueStats, ReserveResult, Settlement } from '../../worker/broker.js';
import { duplicateClient, type RedisClient } from './connection.js';
import type { ConnectionWatch } from './connection-watch.js';
import { queueKeys, queuesKey, rateLimitKey, revokedFlagKey } from './keys.js';
import { runScript } from './scripts.js';
import { wakeLists, wakeWorkers } from './wake.js';

/** Settlements per script call: each call stays short, so one batch never stalls Redis for long. */
const SETTLE_CHUNK = 500;

export class RedisBroker implements Broker {
  private blocking: RedisClient | undefined;
  private readonly knownQueues = new Set<string>();
  private closed = false;

  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
    private readonly watch: ConnectionWatch,
  ) {}

  close(): void {
    this.closed = true;
    this.blocking?.disconnect();
    this.blocking = undefined;
  }

  /**
   * Remembers the queue name in a shared set, once per process, so revoke can
   * reach its slot. Sent beside the enqueue (both in one round trip on a single
   * server); on Cluster the set lives on another node.
   */
  private noteQueue(queue: string): Promise<unknown> | undefined {
    if (this.knownQueues.has(queue)) return undefined;
    this.knownQueues.add(queue);
    return this.client.sadd(queuesKey(this.prefix), queue).catch((err: unknown) => {
      this.knownQueues.delete(queue);
      throw err;
    });
  }

  /** See wake.ts: on Cluster the client wakes the workers of `queues`; on a single server the scripts did. */
  private wake(queues: Iterable<string>): Promise<void> {
    return wakeWorkers(this.client, this.prefix, queues);
  }

  private enqueueKeys(queue: string): string[] {
    const k = queueKeys(this.prefix, queue);
    return [k.ready, k.delayed, k.messages, k.priorities, k.sequence, k.marker, k.rate];
  }

  async enqueue(m: OutgoingMessage): Promise<void> {
    const [, added] = await Promise.all([
      this.noteQueue(m.queue),
      runScript(this.client, 'enqueue', this.enqueueKeys(m.queue), [Date.now(), m.id, m.body, m.priority, m.eta ?? '']),
    ]);
    if (Number(added) > 0) await this.wake([m.queue]);
  }

  /**
   * Plain script calls rather than one explicit pipeline: a pipeline must stay
   * in one slot on Cluster, and each queue has its own. ioredis still writes
   * them at once, in one round trip per server and in order, so a queue's
   * chunks keep their FIFO order.
   */
  async enqueueBulk(messages: OutgoingMessage[]): Promise<void> {
    const now = Date.now();
    const calls: Promise<unknown>[] = [];
    const ready = new Set<string>();
    for (const [queue, list] of groupBy(messages, (m) => m.queue)) {
      const noted = this.noteQueue(queue);
      if (noted) calls.push(noted);
      // Chunks keep each script short, so one bulk call never stalls Redis for long.
      for (let i = 0; i < list.length; i += 500) {
        const argv: (string | number)[] = [now];
        for (const m of list.slice(i, i + 500)) argv.push(m.id, m.body, m.priority, m.eta ?? '');
        calls.push(runScript(this.client, 'enqueue', this.enqueueKeys(queue), argv).then((added) => Number(added) > 0 && ready.add(queue)));
      }
    }
    await Promise.all(calls);
    await this.wake(ready);
  }

  async promoteDue(queue: string, now = Date.now()): Promise<number> {
    const k = queueKeys(this.prefix, queue);
    const moved = Number(await runScript(this.client, 'promote', [k.delayed, k.ready, k.priorities, k.sequence, k.marker], [now, 1000]));
    if (moved > 0) await this.wake([queue]);
    return moved;
  }

  async reserve(queues: string[], count: number, leaseMs: number): Promise<ReserveResult> {
    const result: ReserveResult = { deliveries: [], revoked: [] };
    const now = Date.now();
    // Queues whose reserve took all it asked for: more may be waiting there for another worker.
    const more: string[] = [];
    for (const queue of queues) {
      const want = count - result.deliveries.length;
      if (want <= 0) break;
      const k = queueKeys(this.prefix, queue);
      const flat = (await runScript(
        this.client,
        'reserve',
        [k.ready, k.messages, k.leased, k.deliveries, k.revoked, k.priorities, k.marker, k.paused, k.limit],
        [now, want, leaseMs],
      )) as (string | number)[];
      for (let i = 0; i < flat.length; i += 3) {
        const id = String(flat[i]);
        const body = String(flat[i + 1]);
        const n = Number(flat[i + 2]);
        if (n < 0) result.revoked.push({ id, queue, body });
        else result.deliveries.push({ id, queue, body, deliveries: n });
      }
      if (flat.length / 3 >= want) more.push(queue);
    }
    if (more.length > 0) await this.wake(more);
    return result;
  }

  /** Blocks in one BLPOP on every queue's wake list (see wake.ts for why that stays one call on Cluster). */
  async waitForWork(queues: string[], timeoutMs: number): Promise<void> {
    if (this.closed) return;
    this.blocking ??= duplicateClient(this.client, this.watch);
    const started = Date.now();
    try {
      await (this.blocking as Redis).blpop(...wakeLists(this.client, this.prefix, queues), Math.max(0.01, timeoutMs / 1000));
    } catch (err) {
      // Disconnected by close(): nothing to wait for any more.
      if (this.closed) return;
      // Anything else is logged, and the wait still lasts its time: returning
      // at once would make the worker spin on reserve.
      this.watch.commandFailed('waiting for work', err);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + timeoutMs - Date.now())));
    }
  }

  async renewLeases(deliveries: Delivery[], leaseMs: number): Promise<void> {
    const until = Date.now() + leaseMs;
    await Promise.all(
      [...groupBy(deliveries, (d) => d.queue)].map(([queue, list]) =>
        runScript(this.client, 'renew', [queueKeys(this.prefix, queue).leased], [until, ...list.map((d) => d.id)]),
      ),
    );
  }

  /** One script call per queue (and per chunk) for the whole batch. */
  async settle(batch: Settlement[]): Promise<void> {
    if (batch.length === 0) return;
    const now = Date.now();
    const minute = Math.floor(now / 60_000);
    const calls: Promise<unknown>[] = [];
    for (const [queue, list] of groupBy(batch, (s) => s.delivery.queue)) {
      const k = queueKeys(this.prefix, queue);
      const keys = [k.leased, k.messages, k.deliveries, k.priorities, k.rate, k.dead, k.delayed, k.ready, k.sequence, k.marker, k.limit];
      const scripts: Promise<[number, number]>[] = [];
      for (let i = 0; i < list.length; i += SETTLE_CHUNK) {
        // The acks' ids first (most of a batch), then five values for each other settlement.
        const acks: string[] = [];
        const others: (string | number)[] = [];
        for (const s of list.slice(i, i + SETTLE_CHUNK)) {
          if (s.kind === 'ack') acks.push(s.delivery.id);
          else if (s.kind === 'retry') others.push('r', s.delivery.id, s.body, s.eta, s.keepDeliveries ? '1' : '0');
          else others.push('d', s.delivery.id, s.delivery.body, s.reason, '');
        }
        scripts.push(runScript(this.client, 'settle', keys, [now, minute, acks.length, ...acks, ...others]) as Promise<[number, number]>);
      }
      // The script pushed the marker (a retry due now, or a slot freed under a concurrency limit while
      // messages wait): wake a worker on Cluster too, once the script has run.
      calls.push(Promise.all(scripts).then((replies) => (replies.some(([, woke]) => Number(woke) === 1) ? this.wake([queue]) : undefined)));
    }
    await Promise.all(calls);
  }

  async revoke(ids: string[], ttlMs: number): Promise<void> {
    if (ids.length === 0) return;
    const queues = new Set([...this.knownQueues, ...(await this.client.smembers(queuesKey(this.prefix)))]);
    const until = Date.now() + ttlMs;
    // One command per key, not one pipeline: each queue's revoked set and each
    // flag is in a slot of its own on Cluster. They still go in one round trip
    // per server.
    await Promise.all([
      ...[...queues].map((queue) => runScript(this.client, 'revoke', [queueKeys(this.prefix, queue).revoked], [until, ...ids])),
      ...ids.map((id) => this.client.set(revokedFlagKey(this.prefix, id), '1', 'PX', ttlMs)),
    ]);
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
    if (Number(requeued) > 0) await this.wake([queue]);
    return { requeued: Number(requeued), dead: Number(dead) };
  }

  async takeToken(key: string, perMs: number, capacity: number): Promise<number> {
    return Number(await runScript(this.client, 'rate-limit', [rateLimitKey(this.prefix, key)], [Date.now(), perMs, capacity]));
  }

  async queueStats(queue: string): Promise<QueueStats> {
    const k = queueKeys(this.prefix, queue);
    const [ready, delayed, leased, dead, head, rate, paused, limit] = await Promise.all([
      this.client.zcard(k.ready),
      this.client.zcard(k.delayed),
      this.client.zcard(k.leased),
      this.client.llen(k.dead),
      this.client.zrange(k.ready, '0', '0'),
      this.client.hgetall(k.rate),
      this.client.exists(k.paused),
      this.client.get(k.limit),
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
    return { ready, delayed, leased, dead, paused: paused === 1, concurrency: limit === null ? null : Number(limit), headBody, enqueuedByMinute, dequeuedByMinute };
  }

  async listQueues(): Promise<string[]> {
    return (await this.client.smembers(queuesKey(this.prefix))).sort();
  }

  async requeueDead(queue: string, ids: string[] | undefined, limit: number): Promise<number> {
    const k = queueKeys(this.prefix, queue);
    const requeued = Number(
      await runScript(this.client, 'requeue-dead', [k.dead, k.messages, k.ready, k.sequence, k.marker, k.deliveries], [limit, ...(ids ?? [])]),
    );
    if (requeued > 0) await this.wake([queue]);
    return requeued;
  }

  async dropDead(queue: string, ids: string[] | undefined, limit: number): Promise<number> {
    return Number(await runScript(this.client, 'drop-dead', [queueKeys(this.prefix, queue).dead], [limit, ...(ids ?? [])]));
  }

  async deadLetters(queue: string, limit = 100): Promise<DeadLetter[]> {
    const raw = await this.client.lrange(queueKeys(this.prefix, queue).dead, String(-limit), '-1');
    return raw.map((r) => ({ ...(JSON.parse(r) as Omit<DeadLetter, 'queue'>), queue }));
  }

  async setPaused(queue: string, paused: boolean): Promise<void> {
    const k = queueKeys(this.prefix, queue);
    const [, woke] = await Promise.all([
      this.noteQueue(queue),
      runScript(this.client, 'set-paused', [k.paused, k.ready, k.marker], [paused ? '1' : '0']),
    ]);
    if (Number(woke) > 0) await this.wake([queue]);
  }

  async setConcurrency(queue: string, limit: number | null): Promise<void> {
    const k = queueKeys(this.prefix, queue);
    const [, woke] = await Promise.all([
      this.noteQueue(queue),
      runScript(this.client, 'set-concurrency', [k.limit, k.leased, k.ready, k.marker], [limit === null ? '' : limit, Date.now()]),
    ]);
    if (Number(woke) > 0) await this.wake([queue]);
  }

  /** One EXISTS per queue (each in its own slot), all in one round trip per server. */
  async pausedQueues(queues: string[]): Promise<string[]> {
    const flags = await Promise.all(queues.map((queue) => this.client.exists(queueKeys(this.prefix, queue).paused)));
    return queues.filter((_queue, i) => flags[i] === 1);
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
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
