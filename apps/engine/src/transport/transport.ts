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

  /** Optional capability: the schedule store beat and the dashboard share (see src/beat/schedule-store.ts). */
  scheduleStore?(): ScheduleStore;
}
