// The broker port in process: the same semantics as the Redis broker (leases,
// delivery counts, dead letters, revocations, token buckets), held in memory.
// Apps created with the same `memory://` URL and prefix in one process share it.
import { EventEmitter } from 'node:events';
import type { Broker, DeadLetter, Delivery, OutgoingMessage, QueueStats, ReserveResult, Settlement } from '../../worker/broker.js';
import type { MemoryState } from './memory-state.js';

interface Entry {
  id: string;
  body: string;
  priority: number;
  seq: number;
}

class MemoryQueue {
  ready: Entry[] = [];
  delayed = new Map<string, { entry: Entry; eta: number }>();
  leased = new Map<string, { entry: Entry; until: number }>();
  deliveries = new Map<string, number>();
  dead: DeadLetter[] = [];
  /** Ids present in ready, delayed or leased: enqueueing one again is a no-op, as on Redis. */
  ids = new Set<string>();

  /** Leases that have not expired: what a concurrency limit counts (an expired one frees its slot before recovery). */
  liveLeases(now: number): number {
    let n = 0;
    for (const lease of this.leased.values()) if (lease.until > now) n++;
    return n;
  }

  push(entry: Entry): void {
    // Highest priority first, FIFO within a priority: insert after the last entry of >= priority.
    let i = this.ready.length;
    while (i > 0 && this.ready[i - 1]!.priority < entry.priority) i--;
    this.ready.splice(i, 0, entry);
  }
}

/** The queues of one memory:// broker, shared by every adapter on the same URL and prefix. */
export class MemoryQueues {
  queues = new Map<string, MemoryQueue>();
  revoked = new Map<string, number>();
  buckets = new Map<string, { tokens: number; at: number }>();
  /** Queues that hand nothing out until resumed. */
  paused = new Set<string>();
  /** Global concurrency limits: at most this many live leases per queue. */
  limits = new Map<string, number>();
  seq = 0;
  readonly events = new EventEmitter();
  constructor() {
    this.events.setMaxListeners(0);
  }
  queue(name: string): MemoryQueue {
    let q = this.queues.get(name);
    if (!q) {
      q = new MemoryQueue();
      this.queues.set(name, q);
    }
    return q;
  }
}

export class MemoryBroker implements Broker {
  private readonly waiters = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly broker: MemoryQueues,
    private readonly state: MemoryState,
  ) {}

  close(): void {
    this.closed = true;
    for (const wake of this.waiters) wake();
  }

  private add(message: OutgoingMessage, now: number): void {
    const q = this.broker.queue(message.queue);
    if (q.ids.has(message.id)) return;
    q.ids.add(message.id);
    this.count(message.queue, 'in', 1);
    const entry: Entry = { id: message.id, body: message.body, priority: message.priority, seq: this.broker.seq++ };
    if (message.eta !== undefined && message.eta > now) q.delayed.set(message.id, { entry, eta: message.eta });
    else q.push(entry);
  }

  enqueue(message: OutgoingMessage): Promise<void> {
    this.add(message, Date.now());
    this.broker.events.emit('work');
    return Promise.resolve();
  }

  enqueueBulk(messages: OutgoingMessage[]): Promise<void> {
    const now = Date.now();
    for (const m of messages) this.add(m, now);
    this.broker.events.emit('work');
    return Promise.resolve();
  }

  promoteDue(queue: string, now = Date.now()): Promise<number> {
    const q = this.broker.queue(queue);
    const due = [...q.delayed.values()].filter((d) => d.eta <= now).sort((a, b) => a.eta - b.eta);
    for (const d of due) {
      q.delayed.delete(d.entry.id);
      q.push(d.entry);
    }
    if (due.length > 0) this.broker.events.emit('work');
    return Promise.resolve(due.length);
  }

  private isRevokedNow(id: string, now: number): boolean {
    const until = this.broker.revoked.get(id);
    if (until === undefined) return false;
    if (until <= now) {
      this.broker.revoked.delete(id);
      return false;
    }
    return true;
  }

  reserve(queues: string[], count: number, leaseMs: number): Promise<ReserveResult> {
    const now = Date.now();
    const result: ReserveResult = { deliveries: [], revoked: [] };
    for (const name of queues) {
      if (this.broker.paused.has(name)) continue;
      const q = this.broker.queue(name);
      // Under a concurrency limit, only as many as the queue has free slots (see reserve-9.lua).
      const limit = this.broker.limits.get(name);
      const stop = limit === undefined ? count : Math.min(count, result.deliveries.length + limit - q.liveLeases(now));
      while (result.deliveries.length < stop && q.ready.length > 0) {
        const entry = q.ready.shift()!;
        if (this.isRevokedNow(entry.id, now)) {
          q.deliveries.delete(entry.id);
          q.ids.delete(entry.id);
          result.revoked.push({ id: entry.id, queue: name, body: entry.body });
          continue;
        }
        const n = (q.deliveries.get(entry.id) ?? 0) + 1;
        q.deliveries.set(entry.id, n);
        q.leased.set(entry.id, { entry, until: now + leaseMs });
        result.deliveries.push({ id: entry.id, queue: name, body: entry.body, deliveries: n });
      }
    }
    return Promise.resolve(result);
  }

  waitForWork(queues: string[], timeoutMs: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    const now = Date.now();
    if (queues.some((name) => this.hasWork(name, now))) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.broker.events.off('work', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.broker.events.on('work', done);
      this.waiters.add(done);
    });
  }

  /** Messages a reserve would hand out now: ready, not paused, and a free slot under the queue's limit. */
  private hasWork(name: string, now: number): boolean {
    const q = this.broker.queue(name);
    if (this.broker.paused.has(name) || q.ready.length === 0) return false;
    const limit = this.broker.limits.get(name);
    return limit === undefined || q.liveLeases(now) < limit;
  }

  renewLeases(deliveries: Delivery[], leaseMs: number): Promise<void> {
    const until = Date.now() + leaseMs;
    for (const d of deliveries) {
      const lease = this.broker.queue(d.queue).leased.get(d.id);
      if (lease) lease.until = until;
    }
    return Promise.resolve();
  }

  settle(batch: Settlement[]): Promise<void> {
    for (const s of batch) {
      if (s.kind === 'ack') this.ack(s.delivery);
      else if (s.kind === 'retry') this.retryLater(s.delivery, s.body, s.eta, s.keepDeliveries);
      else this.deadLetter(s.delivery, s.reason);
    }
    // A settled lease frees a slot under a concurrency limit: wake a worker waiting at the limit.
    const now = Date.now();
    const limited = new Set(batch.map((s) => s.delivery.queue).filter((name) => this.broker.limits.has(name)));
    if ([...limited].some((name) => this.hasWork(name, now))) this.broker.events.emit('work');
    return Promise.resolve();
  }

  private ack(delivery: Delivery): void {
    const q = this.broker.queue(delivery.queue);
    if (q.leased.has(delivery.id)) this.count(delivery.queue, 'out', 1);
    q.leased.delete(delivery.id);
    q.deliveries.delete(delivery.id);
    q.ids.delete(delivery.id);
  }

  private retryLater(delivery: Delivery, body: string, eta: number, keepDeliveries: boolean): void {
    const q = this.broker.queue(delivery.queue);
    const lease = q.leased.get(delivery.id);
    q.leased.delete(delivery.id);
    // Back in the queue (also after an early ack, which forgot the id).
    q.ids.add(delivery.id);
    if (keepDeliveries) q.deliveries.set(delivery.id, Math.max(0, (q.deliveries.get(delivery.id) ?? 1) - 1));
    else q.deliveries.delete(delivery.id);
    const entry: Entry = { id: delivery.id, body, priority: lease?.entry.priority ?? 0, seq: this.broker.seq++ };
    if (eta > Date.now()) q.delayed.set(delivery.id, { entry, eta });
    else {
      q.push(entry);
      this.broker.events.emit('work');
    }
  }

  private deadLetter(delivery: Delivery, reason: string): void {
    const q = this.broker.queue(delivery.queue);
    q.leased.delete(delivery.id);
    q.deliveries.delete(delivery.id);
    q.ids.delete(delivery.id);
    q.dead.push({ id: delivery.id, queue: delivery.queue, body: delivery.body, reason, at: Date.now() });
  }

  revoke(ids: string[], ttlMs: number): Promise<void> {
    const until = Date.now() + ttlMs;
    for (const id of ids) this.broker.revoked.set(id, until);
    return Promise.resolve();
  }

  isRevoked(id: string): Promise<boolean> {
    return Promise.resolve(this.isRevokedNow(id, Date.now()));
  }

  recoverExpired(queue: string, maxDeliveries: number, now = Date.now()): Promise<{ requeued: number; dead: number }> {
    const q = this.broker.queue(queue);
    let requeued = 0;
    let dead = 0;
    for (const [id, lease] of [...q.leased]) {
      if (lease.until > now) continue;
      q.leased.delete(id);
      const n = q.deliveries.get(id) ?? 0;
      if (n >= maxDeliveries) {
        q.deliveries.delete(id);
        q.ids.delete(id);
        q.dead.push({ id, queue, body: lease.entry.body, reason: `lease expired after ${n} deliveries (maxDeliveries ${maxDeliveries})`, at: now });
        dead++;
      } else {
        q.push(lease.entry);
        requeued++;
      }
    }
    if (requeued > 0) this.broker.events.emit('work');
    return Promise.resolve({ requeued, dead });
  }

  takeToken(key: string, perMs: number, capacity: number): Promise<number> {
    const now = Date.now();
    const bucket = this.broker.buckets.get(key) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    this.broker.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return Promise.resolve(0);
    }
    return Promise.resolve(Math.ceil((1 - bucket.tokens) / perMs));
  }

  queueStats(queue: string): Promise<QueueStats> {
    const q = this.broker.queue(queue);
    const rate = this.rates.get(queue) ?? { in: {}, out: {} };
    return Promise.resolve({
      ready: q.ready.length,
      delayed: q.delayed.size,
      leased: q.leased.size,
      dead: q.dead.length,
      paused: this.broker.paused.has(queue),
      concurrency: this.broker.limits.get(queue) ?? null,
      headBody: q.ready[0]?.body,
      enqueuedByMinute: { ...rate.in },
      dequeuedByMinute: { ...rate.out },
    });
  }

  private get rates(): Map<string, { in: Record<number, number>; out: Record<number, number> }> {
    return this.state.rates;
  }

  private count(queue: string, dir: 'in' | 'out', n: number): void {
    const rate = this.rates.get(queue) ?? { in: {}, out: {} };
    const minute = Math.floor(Date.now() / 60_000);
    rate[dir][minute] = (rate[dir][minute] ?? 0) + n;
    this.rates.set(queue, rate);
  }

  listQueues(): Promise<string[]> {
    return Promise.resolve([...this.broker.queues.keys()].sort());
  }

  requeueDead(queue: string, ids: string[] | undefined, limit: number): Promise<number> {
    const q = this.broker.queue(queue);
    const wanted = ids ? new Set(ids) : undefined;
    const max = ids ? ids.length : limit;
    let moved = 0;
    q.dead = q.dead.filter((d) => {
      if (moved >= max || (wanted && !wanted.has(d.id))) return true;
      moved++;
      if (!q.ids.has(d.id)) {
        q.ids.add(d.id);
        q.deliveries.delete(d.id);
        q.push({ id: d.id, body: d.body, priority: 0, seq: this.broker.seq++ });
      }
      return false;
    });
    if (moved > 0) this.broker.events.emit('work');
    return Promise.resolve(moved);
  }

  dropDead(queue: string, ids: string[] | undefined, limit: number): Promise<number> {
    const q = this.broker.queue(queue);
    const wanted = ids ? new Set(ids) : undefined;
    const max = ids ? ids.length : limit;
    let dropped = 0;
    q.dead = q.dead.filter((d) => {
      if (dropped >= max || (wanted && !wanted.has(d.id))) return true;
      dropped++;
      return false;
    });
    return Promise.resolve(dropped);
  }

  deadLetters(queue: string, limit = 100): Promise<DeadLetter[]> {
    return Promise.resolve(this.broker.queue(queue).dead.slice(-limit));
  }

  setPaused(queue: string, paused: boolean): Promise<void> {
    this.broker.queue(queue);
    if (paused) this.broker.paused.add(queue);
    else if (this.broker.paused.delete(queue)) this.broker.events.emit('work');
    return Promise.resolve();
  }

  pausedQueues(queues: string[]): Promise<string[]> {
    return Promise.resolve(queues.filter((name) => this.broker.paused.has(name)));
  }

  setConcurrency(queue: string, limit: number | null): Promise<void> {
    this.broker.queue(queue);
    if (limit === null) this.broker.limits.delete(queue);
    else this.broker.limits.set(queue, limit);
    if (this.hasWork(queue, Date.now())) this.broker.events.emit('work');
    return Promise.resolve();
  }

  purge(queue: string): Promise<number> {
    const q = this.broker.queue(queue);
    const n = q.ready.length + q.delayed.size;
    for (const e of q.ready) q.ids.delete(e.id);
    for (const id of q.delayed.keys()) q.ids.delete(id);
    q.ready = [];
    q.delayed.clear();
    return Promise.resolve(n);
  }
}
