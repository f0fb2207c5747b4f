// Pause flags and global concurrency slots for a broker that can keep neither
// itself (amqp://: RabbitMQ has no keyed state a basic.get could check). They
// live in the `backend` store (Redis or memory) beside revocations and
// rate-limit buckets, so every worker and the gateway see the same ones and
// they outlive all of them.
//
// A slot is a token the broker takes before it fetches a message of a limited
// queue and keeps with the lease: held until the lease's expiry (renewed with
// it), given back on ack, retry, dead letter or recovery. A worker that dies
// gives nothing back; its slots expire with its leases. Only slots that have
// not expired count against the limit, and taking them is one atomic step in
// the store, so two workers cannot both take the last one.

/** One queue's gate as the store has it. */
export interface GateState {
  paused: boolean;
  /** At most this many slots held at once; null when unlimited. */
  limit: number | null;
  /** Slots held now (not expired), by every worker. */
  held: number;
}

export interface QueueGate {
  /** The gate of each queue, in order: one round trip for all of them. */
  states(queues: string[], now: number): Promise<GateState[]>;
  setPaused(queue: string, paused: boolean): Promise<void>;
  /** A positive limit, or null to remove it. */
  setLimit(queue: string, limit: number | null): Promise<void>;
  /**
   * Takes as many of `tokens` (first ones first) as the queue has free slots
   * under its limit, every one without a limit, each held until `until`.
   * Atomic with the count. Returns how many were taken.
   */
  takeSlots(queue: string, tokens: string[], until: number, now: number): Promise<number>;
  /** Holds slots without looking at the limit: leases taken before this process saw the limit start counting. */
  holdSlots(queue: string, slots: { token: string; until: number }[]): Promise<void>;
  /** Moves the expiry of slots still in the store (one already dropped is not brought back). */
  renewSlots(queue: string, tokens: string[], until: number): Promise<void>;
  releaseSlots(queue: string, tokens: string[]): Promise<void>;
}
