// The workflow store port: what the canvas keeps in the broker. Two things:
//
// - Chord joins. A chord's join is a counter with one slot per member index,
//   opened (with the callback's message) before any member is sent. A member's
//   completion is recorded in its slot and, when it is the last one, the
//   callback is enqueued, in one atomic step: a redelivered member finds its
//   slot taken and counts nothing, and no crash can fire the callback twice or
//   lose it. A failed member marks its slot failed; a later success in the same
//   slot (a retried member) takes its place, and the callback fires once every
//   slot holds a success. Nothing polls.
// - The workflow's members: every canvas message as it was sent, per root id,
//   so `app.workflows.retryFailed()` can re-send the failed ones with their
//   original headers. Both expire with results.
//
// Implementations live in src/adapters/{memory,redis}.
import type { OutgoingMessage } from '../worker/broker.js';

/** Which join a chord member reports to: the group id, and the callback's queue (the join lives beside it). */
export interface ChordJoinRef {
  groupId: string;
  queue: string;
}

export interface OpenChord extends ChordJoinRef {
  size: number;
  /**
   * The callback's message. With `splice`, its body holds RESULTS_TOKEN where the
   * list of member results goes (a mutable callback); the join replaces it.
   */
  callback: OutgoingMessage;
  splice: boolean;
}

export type MemberOutcome = { ok: true; result: string } | { ok: false; memberId: string };

export type JoinReply =
  /** Recorded; the chord still waits for other members. */
  | { kind: 'counted' }
  /** This slot already holds this outcome (a redelivered member), or the callback was sent already. */
  | { kind: 'duplicate' }
  /** Recorded, and it was the last one: the callback (this body) was enqueued in the same step. */
  | { kind: 'fired'; body: string }
  /** The chord has a failed member. `first`: this failure is the one that failed the chord. */
  | { kind: 'failed'; first: boolean; body: string }
  /** No such join (expired, or never opened). */
  | { kind: 'missing' };

export interface WorkflowMember {
  id: string;
  body: string;
}

/** Where the member results go in a mutable chord callback's body (a JSON string token in its args). */
export const RESULTS_TOKEN = '"__lovage_chord_results__"';
/** The argument that becomes RESULTS_TOKEN once encoded. */
export const RESULTS_PLACEHOLDER = '__lovage_chord_results__';

/** Splits a callback body at the results token (head, tail); the whole body and '' when it has none. */
export function splitAtToken(body: string): [string, string] {
  const at = body.indexOf(RESULTS_TOKEN);
  return at < 0 ? [body, ''] : [body.slice(0, at), body.slice(at + RESULTS_TOKEN.length)];
}

export interface WorkflowStore {
  /** Opens a chord's join (idempotent: opening it again changes nothing). */
  openChord(chord: OpenChord, ttlMs: number): Promise<void>;
  /** Records member `index`'s outcome; enqueues the callback when it completes the chord. Atomic. */
  joinChord(ref: ChordJoinRef, index: number, outcome: MemberOutcome, ttlMs: number): Promise<JoinReply>;
  /** Remembers workflow members as sent (their encoded messages), under their root id. */
  recordMembers(rootId: string, members: WorkflowMember[], ttlMs: number): Promise<void>;
  /** The members of a workflow, in no particular order. */
  members(rootId: string): Promise<WorkflowMember[]>;
  /** The root id of a recorded member. */
  rootOf(taskId: string): Promise<string | undefined>;
  /** Claims the retry of `fromId` as `toId`; false when it was retried already. Atomic. */
  claimRetry(rootId: string, fromId: string, toId: string, ttlMs: number): Promise<boolean>;
  /** fromId → toId of every retry claimed in this workflow. */
  retries(rootId: string): Promise<Map<string, string>>;
}
