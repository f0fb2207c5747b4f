// Every exchange, queue and header name the amqp adapter uses, and the delay
// levels. The one place names are built (like keys.ts for Redis).
//
// Delayed messages stay in RabbitMQ, never in a worker's memory, the way
// kombu's native delayed delivery does it: a delay in whole seconds is written
// in binary into the routing key (28 bits, most significant first, then the
// queue name). Level i is a queue per target queue whose every message lives
// 2^i seconds (x-message-ttl) and then dead-letters into the exchange of level
// i-1. Each level's topic exchange sends a message whose bit i is 1 into its
// level queue and one whose bit is 0 straight on to the next level, and the
// last exchange delivers to the ready queue. A message therefore waits exactly
// its delay, and every level queue is FIFO because all its messages share one
// TTL. Nothing holds a delayed message unacknowledged, so a long ETA never
// trips RabbitMQ's consumer_timeout (celery#6760).
export const DELAY_LEVELS = 28;
/** The longest delay the levels express: about 8.5 years. */
export const MAX_DELAY_SECONDS = 2 ** DELAY_LEVELS - 1;

/** The ready queue consumers take from (classic, durable, priorities 0–9). */
export const readyQueue = (prefix: string, queue: string): string => `${prefix}.ready.${queue}`;
/** Dead letters of a queue, each with its reason in a header. */
export const deadQueue = (prefix: string, queue: string): string => `${prefix}.dead.${queue}`;
/** Level `level` of a queue's delay chain. */
export const delayQueue = (prefix: string, queue: string, level: number): string => `${prefix}.delay.${level}.${queue}`;
/** The topic exchange of delay level `level`. */
export const delayExchange = (prefix: string, level: number): string => `${prefix}.delay.${level}`;
/** Where the last delay level hands messages to their ready queue. */
export const deliverExchange = (prefix: string): string => `${prefix}.delay.deliver`;
/** One message per queue name ever used under this prefix: listQueues reads it. */
export const registryQueue = (prefix: string): string => `${prefix}.queues`;

export const HEADER = {
  /** Deliveries before this one (absent: none). RabbitMQ's classic queues keep no count, so the adapter does. */
  deliveries: 'x-lovage-deliveries',
  /** Epoch ms the message was due (delayed messages only). */
  eta: 'x-lovage-eta',
  /** Publish order (epoch µs-ish, increasing in one process): restores FIFO among messages fetched side by side. */
  sequence: 'x-lovage-seq',
  /** Why a dead letter is dead. */
  reason: 'x-lovage-reason',
  /** Epoch ms a dead letter died. */
  deadAt: 'x-lovage-dead-at',
} as const;

export const MAX_PRIORITY = 9;

/** The routing key of a message delayed `seconds` into `queue`: 28 bits, then the queue name. */
export function delayRoutingKey(seconds: number, queue: string): string {
  const bits: string[] = [];
  for (let level = DELAY_LEVELS - 1; level >= 0; level--) bits.push(Math.floor(seconds / 2 ** level) % 2 === 1 ? '1' : '0');
  return `${bits.join('.')}.${queue}`;
}

/** Binding of level `level`'s queue for `queue`: bit `level` set, exactly this queue name after the bits. */
export function levelBinding(level: number, queue: string): string {
  const words = Array.from({ length: DELAY_LEVELS }, () => '*');
  words[DELAY_LEVELS - 1 - level] = '1';
  return `${words.join('.')}.${queue}`;
}

/** Binding from level `level`'s exchange on to the next one for messages whose bit `level` is 0. */
export function passBinding(level: number): string {
  return `${'*.'.repeat(DELAY_LEVELS - 1 - level)}0.#`;
}

/** Binding of a ready queue to the deliver exchange: any bits, exactly this queue name. */
export function deliverBinding(queue: string): string {
  return `${'*.'.repeat(DELAY_LEVELS)}${queue}`;
}

/** The fanout exchange of the control bus: every subscriber binds a queue of its own. */
export const controlExchange = (prefix: string): string => `${prefix}.control`;
/** The replies to one control request; it expires a minute after its last use. */
export const replyQueue = (prefix: string, replyTo: string): string => `${prefix}.reply.${replyTo}`;
export const REPLY_QUEUE_EXPIRES_MS = 60_000;

/** The event log: a RabbitMQ stream. */
export const eventStream = (prefix: string): string => `${prefix}.events`;
/** A consumer group's committed offset: the newest message of this queue (x-max-length 1). */
export const groupQueue = (prefix: string, group: string): string => `${prefix}.events.group.${group}`;
/** One message per consumer group name: what cleanup reads. */
export const groupRegistryQueue = (prefix: string): string => `${prefix}.events.groups`;
