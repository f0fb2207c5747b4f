// The broker contract. Everything above this interface (app, worker, control)
// talks only to it, so `redis://`, `memory://` and a future Celery-compatible
// transport are interchangeable. A transport moves opaque message bodies
// (strings): it never parses them, which is what lets a malformed message reach
// the worker, be judged there, and be dead-lettered with a reason.
//
// Later issues extend this contract with optional capabilities (events stream,
// control bus replies, schedule store); they are added as new members, never by
// changing the meaning of these.

import type { ScheduleStore } from '../beat/schedule-store.js';

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
  id: string;
  queue: string;
  body: string;
  /** How many times this message has been handed out, this one included. */
  deliveries: number;
}

export interface ReserveResult {
  deliveries: Delivery[];
  /** Ids that were queued but revoked: the transport dropped them instead of handing them out. */
  revoked: { id: string; queue: string; body: string }[];
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
  /** Body of the message at the head of the ready queue (for its age), if any. */
  headBody?: string | undefined;
  /** Messages enqueued / acknowledged per minute, keyed by minute (epoch ms / 60000), recent minutes only. */
  enqueuedByMinute?: Record<number, number> | undefined;
  dequeuedByMinute?: Record<number, number> | undefined;
}

/** One entry of the event stream, as stored: the transport does not look inside `event`. */
export interface StreamEntry {
  /** Stream id ("<ms>-<n>"), increasing. */
  id: string;
  /** The JSON-encoded event. */
  event: string;
}

export interface ReadGroupOptions {
  group: string;
  consumer: string;
  /** Where a new group starts: '$' (only new events, the default) or '0' (everything kept). */
  fromId?: string | undefined;
  count: number;
  /** Longest wait for new events. */
  blockMs: number;
  /**
   * Set: re-read this consumer's pending (delivered, unacknowledged) entries
   * after this id ('0' for all) instead of new ones.
   */
  pendingAfter?: string | undefined;
}

/** A live worker as its last heartbeat described it (the registry, not the stream). */
export interface WorkerRecord {
  hostname: string;
  /** Epoch ms of the last heartbeat. */
  lastHeartbeat: number;
  /** Epoch ms after which the worker counts as offline. */
  expiresAt: number;
  /** The JSON-encoded heartbeat (see WorkerHeartbeat in src/events). */
  info: string;
}

/** A reply to a control request, as sent by one worker. */
export interface ControlReplyEnvelope {
  hostname: string;
  /** JSON-encoded reply. */
  reply: string;
}

/** A message on the transport's broadcast channel (revocations today; remote control later). */
export interface ControlMessage {
  type: string;
  [key: string]: unknown;
}

export interface Transport {
  /** 'redis' | 'memory' | ... */
  readonly kind: string;
  connect(): Promise<void>;
  close(): Promise<void>;

  enqueue(message: OutgoingMessage): Promise<void>;
  enqueueBulk(messages: OutgoingMessage[]): Promise<void>;
  /** Moves delayed messages whose time has come into their queue. Returns how many moved. */
  promoteDue(queue: string, now?: number): Promise<number>;
  /** Hands out up to `count` messages, highest priority first, each under a lease of `leaseMs`. */
  reserve(queues: string[], count: number, leaseMs: number): Promise<ReserveResult>;
  /** Waits until one of `queues` may have work, or `timeoutMs` passes. Returns early on close(). */
  waitForWork(queues: string[], timeoutMs: number): Promise<void>;
  renewLeases(deliveries: Delivery[], leaseMs: number): Promise<void>;
  /** Done with the message: forget it. */
  ack(delivery: Delivery): Promise<void>;
  /** Puts the message back (with a new body) for another try at `eta`; the delivery count restarts. */
  retryLater(delivery: Delivery, body: string, eta: number, options?: { keepDeliveries?: boolean }): Promise<void>;
  /** Moves the message to the queue's dead-letter list with a reason. */
  deadLetter(delivery: Delivery, reason: string): Promise<void>;
  /** Marks ids revoked for `ttlMs`: a queued or delayed message with this id will never be handed out. */
  revoke(ids: string[], ttlMs: number): Promise<void>;
  isRevoked(id: string): Promise<boolean>;
  /** Returns expired leases to their queue; past `maxDeliveries` they go to the dead-letter list. */
  recoverExpired(queue: string, maxDeliveries: number, now?: number): Promise<{ requeued: number; dead: number }>;
  /** Token bucket shared by every worker: 0 when a token was taken, else ms until one is due. */
  takeToken(key: string, perMs: number, capacity: number): Promise<number>;

  publishControl(message: ControlMessage): Promise<void>;
  onControl(listener: (message: ControlMessage) => void): Promise<() => Promise<void>>;

  // Introspection
  queueStats(queue: string): Promise<QueueStats>;
  deadLetters(queue: string, limit?: number): Promise<DeadLetter[]>;
  purge(queue: string): Promise<number>;
  /** Every queue name this prefix has seen. */
  listQueues(): Promise<string[]>;
  /** Moves dead letters (the given ids, or up to `limit` of the oldest) back into the ready queue. Returns how many moved. */
  requeueDead(queue: string, ids: string[] | undefined, limit: number): Promise<number>;
  /** Deletes dead letters (the given ids, or up to `limit` of the oldest). Returns how many were deleted. */
  dropDead(queue: string, ids: string[] | undefined, limit: number): Promise<number>;

  // Event stream (bounded, approximate MAXLEN)
  /** Appends events in one round trip. */
  appendEvents(events: string[], maxLen: number): Promise<void>;
  /** Reads through a consumer group (created on first use at `fromId`). */
  readEvents(options: ReadGroupOptions): Promise<StreamEntry[]>;
  ackEvents(group: string, ids: string[]): Promise<void>;
  /** Reads entries after `afterId` ('$' = only new ones) without a group, waiting up to `blockMs`. */
  tailEvents(afterId: string, count: number, blockMs: number): Promise<StreamEntry[]>;
  /** The id of the newest entry ('0-0' when empty). */
  lastEventId(): Promise<string>;

  // Worker registry (heartbeats)
  heartbeat(hostname: string, info: string, ttlMs: number): Promise<void>;
  removeWorker(hostname: string): Promise<void>;
  listWorkers(): Promise<WorkerRecord[]>;

  // Control replies: a per-request list the caller drains
  sendReply(replyTo: string, reply: ControlReplyEnvelope): Promise<void>;
  /** Collects replies until `timeoutMs` passes or `expected` replies arrived. */
  collectReplies(replyTo: string, timeoutMs: number, expected?: number): Promise<ControlReplyEnvelope[]>;

  /** Optional capability: the schedule store beat and the dashboard share (see src/beat/schedule-store.ts). */
  scheduleStore?(): ScheduleStore;
}
