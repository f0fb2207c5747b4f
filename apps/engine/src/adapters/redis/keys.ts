// The only place Redis key names are built. Every key of one queue carries the
// same hash tag ({q:<name>}), so each Lua script touches a single slot and the
// layout works unchanged on Redis Cluster. The user's prefix stays outside the
// tag so `SCAN MATCH <prefix>*` finds (and tests can clean) everything.

export interface QueueKeys {
  /** Sorted set of ready ids; score = priority band + sequence, lowest first. */
  ready: string;
  /** Sorted set of ids waiting for their ETA; score = epoch ms. */
  delayed: string;
  /** Sorted set of leased ids; score = lease expiry, epoch ms. */
  leased: string;
  /** Hash id → message body. A message exists while its id is here. */
  messages: string;
  /** Hash id → priority (only for priority ≠ 0). */
  priorities: string;
  /** Hash id → delivery count. */
  deliveries: string;
  /** Sorted set of revoked ids; score = when the revocation expires. */
  revoked: string;
  /** List of dead letters (JSON), newest last. */
  dead: string;
  /** Counter for FIFO order within a priority. */
  sequence: string;
  /** List used only to wake blocked workers (BLPOP). */
  marker: string;
  /** Hash of per-minute counters: 'in:<minute>' (enqueued) and 'out:<minute>' (acknowledged). */
  rate: string;
  /** Present (value '1') while the queue is paused: reserve hands nothing out. */
  paused: string;
  /** The queue's global concurrency limit (a positive integer); absent when unlimited. */
  limit: string;
}

export function queueKeys(prefix: string, queue: string): QueueKeys {
  const base = `${prefix}{q:${queue}}`;
  return {
    ready: `${base}:ready`,
    delayed: `${base}:delayed`,
    leased: `${base}:leased`,
    messages: `${base}:msgs`,
    priorities: `${base}:prio`,
    deliveries: `${base}:dlv`,
    revoked: `${base}:revoked`,
    dead: `${base}:dead`,
    sequence: `${base}:seq`,
    marker: `${base}:marker`,
    rate: `${base}:rate`,
    paused: `${base}:paused`,
    limit: `${base}:limit`,
  };
}

/**
 * List that wakes workers blocked on `queue` on Redis Cluster (see wake.ts).
 * Every queue's wake list shares the {wake} tag, so one BLPOP covers all the
 * queues a worker consumes; the in-slot `marker` serves single servers.
 */
export const wakeKey = (prefix: string, queue: string): string => `${prefix}{wake}:${queue}`;
/** Set of every queue name this prefix has seen (so revoke can reach each queue's slot). */
export const queuesKey = (prefix: string): string => `${prefix}queues`;
/** Plain flag key for a revocation, read by workers for running tasks. */
export const revokedFlagKey = (prefix: string, id: string): string => `${prefix}revoked:${id}`;
/** Token bucket of a rate limit shared by every worker. */
export const rateLimitKey = (prefix: string, name: string): string => `${prefix}{rl:${name}}`;
/** Pub/sub channel for control messages (revocations now; the remote-control bus later). */
export const controlChannel = (prefix: string): string => `${prefix}control`;
/** The event stream (a Redis Stream of task, worker and beat events). */
export const eventsKey = (prefix: string): string => `${prefix}{events}:stream`;
/** Sorted set hostname → heartbeat expiry (epoch ms): the live-worker registry. */
export const workersKey = (prefix: string): string => `${prefix}{workers}:alive`;
/** Hash hostname → last heartbeat (JSON). */
export const workersInfoKey = (prefix: string): string => `${prefix}{workers}:info`;
/** List one control request's replies are pushed to (the caller pops them). */
export const replyKey = (prefix: string, requestId: string): string => `${prefix}reply:${requestId}`;
/** Result record of a task (JSON string with a TTL). */
export const resultKey = (prefix: string, id: string): string => `${prefix}result:${id}`;
/** Pub/sub channel announcing that a task's result became ready: the key's own name (store-results-n.lua publishes on it). */
export const resultChannel = resultKey;

// ---------------------------------------------------------------------------
// Schedule store (beat). Every key shares the {beat} hash tag: the store's
// scripts touch an entry, the due index and the name set in one slot.

export interface ScheduleKeys {
  /** Set of every schedule name. */
  names: string;
  /** Sorted set name → when beat must look at it (next run or run request), epoch ms. */
  due: string;
  /** The beat leader lock: a token string with a TTL. */
  lock: string;
}

export function scheduleKeys(prefix: string): ScheduleKeys {
  const base = `${prefix}{beat}`;
  return { names: `${base}:names`, due: `${base}:due`, lock: `${base}:lock` };
}

/** Hash of one schedule entry (definition, version, run state). */
export const scheduleEntryKey = (prefix: string, name: string): string => `${prefix}{beat}:entry:${name}`;

// ---------------------------------------------------------------------------
// Canvas. A chord's join lives in its callback queue's slot ({q:<queue>}), so
// the join script can record a member and enqueue the callback in one step,
// on Redis Cluster too. A workflow's members share the {wf:<root id>} tag.

/** Hash of one chord's join: size, callback message, one slot per member index, counters. */
export const chordKey = (prefix: string, queue: string, groupId: string): string => `${prefix}{q:${queue}}:chord:${groupId}`;
/** Hash member id → its message as sent, for every member of one workflow. */
export const workflowMembersKey = (prefix: string, rootId: string): string => `${prefix}{wf:${rootId}}:members`;
/** Hash failed member id → the id it was retried as. */
export const workflowRetriedKey = (prefix: string, rootId: string): string => `${prefix}{wf:${rootId}}:retried`;
/** String: the root id of a workflow member. */
export const workflowRootKey = (prefix: string, taskId: string): string => `${prefix}wf-root:${taskId}`;

// ---------------------------------------------------------------------------
// Queue gates: pause flags and concurrency slots kept here for a broker that
// cannot keep them (amqp://). One hash tag per queue ({gate:<name>}), apart
// from this store's own queues' keys.

export interface GateKeys {
  /** Present (value '1') while the queue is paused. */
  paused: string;
  /** The queue's global concurrency limit (a positive integer); absent when unlimited. */
  limit: string;
  /** Sorted set of slot tokens; score = when the slot expires, epoch ms. */
  slots: string;
}

export function gateKeys(prefix: string, queue: string): GateKeys {
  const base = `${prefix}{gate:${queue}}`;
  return { paused: `${base}:paused`, limit: `${base}:limit`, slots: `${base}:slots` };
}
