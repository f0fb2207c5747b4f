// The event log port: a bounded, append-only stream read through consumer
// groups (resumable, with acknowledgement) or tailed. `events/` is its only
// user; implementations live in src/adapters/*.

/** One entry of the log, as stored: the log does not look inside `event`. */
export interface StreamEntry {
  /** Entry id ("<ms>-<n>"), increasing. */
  id: string;
  /** The JSON-encoded entry (an array of events: one producer flush, or part of a large one). */
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

export interface EventLog {
  /**
   * Appends entries in one round trip, keeping about `maxLen` entries. A log
   * that bounds itself by size (a RabbitMQ stream) keeps about `maxBytes` instead.
   */
  append(entries: string[], maxLen: number, maxBytes?: number): Promise<void>;
  /** Reads through a consumer group (created on first use at `fromId`). */
  read(options: ReadGroupOptions): Promise<StreamEntry[]>;
  ack(group: string, ids: string[]): Promise<void>;
  /** Reads entries after `afterId` without a group, waiting up to `blockMs`. */
  tail(afterId: string, count: number, blockMs: number): Promise<StreamEntry[]>;
  /** The id of the newest entry ('0-0' when empty). */
  lastId(): Promise<string>;
}
