// The broker port: what the app (publishing) and the worker (reserving and
// settling) need from a queue backend, and what `app.queues` reads. A broker
// moves opaque message bodies (strings): it never parses them, which is what
// lets a malformed message reach the worker, be judged there, and be
// dead-lettered with a reason. Implementations live in src/adapters/*.

/** A message on its way into a queue. */
export interface OutgoingMessage {
  id: string;
  queue: string;
  /** 0 (lowest, the default) to 9 (highest). */
  priority: number;
  /** Epoch ms before which the message must not be delivered (countdown / ETA). */
  eta?: number | undefined;
  /** The serialized message. */
  body: string;
}

/** A message handed to a worker under a lease. */
export interface Delivery {
  /** The task id. */
  id: string;
  /** The broker's own handle on this delivery when it is not the id (kombu's delivery tag). */
  receipt?: string | undefined;
  queue: string;
  body: string;
  /** How many times this message has been handed out, this one included. */
  deliveries: number;
}

export interface ReserveResult {
  deliveries: Delivery[];
  /** Ids that were queued but revoked: the broker dropped them instead of handing them out. */
  revoked: { id: string; queue: string; body: string }[];
  /**
   * Messages the broker dead-lettered itself while reserving, because it could
   * not even track them (a Celery envelope without a delivery tag): reported so
   * the worker counts and announces them like its own dead letters.
   */
  deadLettered?: { id: string; queue: string; reason: string }[] | undefined;
}

export interface DeadLetter {
  id: string;
  queue: string;
  body: string;
  reason: string;
  at: number;
}

export interface QueueStats {
  ready: number;
  delayed: number;
  leased: number;
  dead: number;
  /** Paused: the queue takes messages but hands none out until resumed. */
  paused?: boolean | undefined;
  /** The queue's global concurrency limit (at most this many leases at once, across workers); null or absent when unlimited. */
  concurrency?: number | null | undefined;
  /** Body of the message at the head of the ready queue (for its age), if any. */
  headBody?: string | undefined;
  /** Messages enqueued / acknowledged per minute, keyed by minute (epoch ms / 60000), recent minutes only. */
  enqueuedByMinute?: Record<number, number> | undefined;
  dequeuedByMinute?: Record<number, number> | undefined;
}

/**
 * How one delivery leaves the worker. The worker's settle pipeline hands a
 * whole batch of these to `settle()` at once, so a backend can apply them in
 * one round trip.
 */
export type Settlement =
  /** Done with the message: forget it. */
  | { kind: 'ack'; delivery: Delivery }
  /**
   * Back to the queue with `body` for another try at `eta`. The delivery count
   * restarts, unless `keepDeliveries` (a hand-back or a rate-limit park, not a retry).
   */
  | { kind: 'retry'; delivery: Delivery; body: string; eta: number; keepDeliveries: boolean }
  /** To the queue's dead-letter list with a reason. */
  | { kind: 'dead'; delivery: Delivery; reason: string };

export interface Broker {
  enqueue(message: OutgoingMessage): Promise<void>;
  enqueueBulk(messages: OutgoingMessage[]): Promise<void>;
  /** Moves delayed messages whose time has come into their queue. Returns how many moved. */
  promoteDue(queue: string, now?: number): Promise<number>;
  /** Hands out up to `count` messages, highest priority first, each under a lease of `leaseMs`. */
  reserve(queues: string[], count: number, leaseMs: number): Promise<ReserveResult>;
  /** Waits until one of `queues` may have work, or `timeoutMs` passes. Returns early on close. */
  waitForWork(queues: string[], timeoutMs: number): Promise<void>;
  renewLeases(deliveries: Delivery[], leaseMs: number): Promise<void>;
  /** Applies every settlement of a batch (ack, retry later, dead letter); each one is atomic. */
  settle(batch: Settlement[]): Promise<void>;
  /** Marks ids revoked for `ttlMs`: a queued or delayed message with this id will never be handed out. */
  revoke(ids: string[], ttlMs: number): Promise<void>;
  isRevoked(id: string): Promise<boolean>;
  /** Returns expired leases to their queue; past `maxDeliveries` they go to the dead-letter list. */
  recoverExpired(queue: string, maxDeliveries: number, now?: number): Promise<{ requeued: number; dead: number }>;
  /** Token bucket shared by every worker: 0 when a token was taken, else ms until one is due. */
  takeToken(key: string, perMs: number, capacity: number): Promise<number>;

  // Introspection (app.queues)
  queueStats(queue: string): Promise<QueueStats>;
  deadLetters(queue: string, limit?: number): Promise<DeadLetter[]>;
  purge(queue: string): Promise<number>;
  /**
   * Pauses or resumes a queue. The flag lives in the broker, so every worker
   * sees it and it outlives them; a paused queue still takes messages, reserve
   * hands none out, and messages already leased run to the end.
   */
  setPaused(queue: string, paused: boolean): Promise<void>;
  /** Which of `queues` are paused (none, on an adapter that cannot pause). */
  pausedQueues(queues: string[]): Promise<string[]>;
  /**
   * Sets a queue's global concurrency limit: reserve hands out a message only
   * while the queue has fewer than `limit` live leases, counted across every
   * worker in the same step as the pop. A lease ends (and frees its slot) on
   * ack, retry, dead letter or expiry. `null` removes the limit. The limit
   * lives in the broker, like the paused flag.
   */
  setConcurrency(queue: string, limit: number | null): Promise<void>;
  /** Every queue name this prefix has seen. */
  listQueues(): Promise<string[]>;
  /** Moves dead letters (the given ids, or up to `limit` of the oldest) back into the ready queue. Returns how many moved. */
  requeueDead(queue: string, ids: string[] | undefined, limit: number): Promise<number>;
  /** Deletes dead letters (the given ids, or up to `limit` of the oldest). Returns how many were deleted. */
  dropDead(queue: string, ids: string[] | undefined, limit: number): Promise<number>;
}
