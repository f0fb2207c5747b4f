// Celery's monitoring events on the `celeryev` exchange (fanout on Redis: a
// PUBLISH on `/<db>.celeryev/<routing key>`, see kombu-layout.ts).
//
// Each event is a flat JSON object, built like celery/events/event.py Event()
// and EventDispatcher.publish in 5.2.6, in this order:
//   hostname, utcoffset, pid, clock, <the event's fields>, timestamp, type
// `utcoffset` is hours *west* of UTC, floor-divided (Python's time.timezone //
// 3600); `timestamp` is epoch seconds as a float; `clock` is the sender's Lamport
// clock. The routing key is the type with every '-' turned into '.'
// (task-succeeded → task.succeeded). Workers running Celery's event loop (the
// default, solo pool included) buffer task events and publish them as one JSON
// list with routing key `task.multi`; worker events always go one by one.
// The envelope carries headers {hostname} and delivery_mode 1.
//
// Field values as Python sends them: args, kwargs and result are repr() text,
// not JSON; eta and expires are isoformat strings or null. Seen with 5.2.6:
// task-failed's `exception` can be "ExceptionWithTraceback()" rather than the
// real exception's repr (the worker wraps it); the traceback's last line is
// the reliable description.
import { randomUUID } from 'node:crypto';
import { JSON_CONTENT_TYPE, readEnvelope } from './kombu-envelope.js';
import { requireNumber, requireRecord, requireString } from './wire-shape.js';

export interface CeleryEventBase {
  type: string;
  hostname: string;
  /** Epoch seconds (float). */
  timestamp: number;
  /** Hours west of UTC. */
  utcoffset: number;
  pid: number;
  /** The sender's Lamport clock; null for "blind" events. */
  clock: number | null;
}

export interface WorkerEventFields {
  /** Heartbeat interval in seconds (2.0 by default). */
  freq: number;
  active: number;
  processed: number;
  loadavg: number[];
  /** "py-celery" for Python workers; Lovage sends "lovage". */
  sw_ident: string;
  sw_ver: string;
  sw_sys: string;
}

export interface CeleryEventFields {
  'task-sent': {
    uuid: string;
    root_id: string | null;
    parent_id: string | null;
    name: string;
    args: string;
    kwargs: string;
    retries: number;
    eta: string | null;
    expires: string | null;
    queue: string;
    exchange: string;
    routing_key: string;
  };
  'task-received': {
    uuid: string;
    name: string;
    args: string;
    kwargs: string;
    root_id: string | null;
    parent_id: string | null;
    retries: number;
    eta: string | null;
    expires: string | null;
  };
  'task-started': { uuid: string };
  'task-succeeded': { uuid: string; result: string; runtime: number };
  'task-failed': { uuid: string; exception: string; traceback?: string };
  'task-retried': { uuid: string; exception: string; traceback: string };
  'task-revoked': { uuid: string; terminated: boolean; signum: number | string | null; expired: boolean };
  'task-rejected': { uuid: string; requeue: boolean };
  'worker-online': WorkerEventFields;
  'worker-heartbeat': WorkerEventFields;
  'worker-offline': WorkerEventFields;
}

export type CeleryEventType = keyof CeleryEventFields;

/** A known Celery event, narrowed by `type`. */
export type CeleryEvent<T extends CeleryEventType = CeleryEventType> = {
  [K in T]: CeleryEventBase & { type: K } & CeleryEventFields[K];
}[T];

/** Any event as read from the wire: known types and custom ones alike. Narrow with isCeleryEvent. */
export type CeleryEventRecord = CeleryEventBase & Record<string, unknown>;

export function isCeleryEvent<T extends CeleryEventType>(
  event: CeleryEventRecord,
  type: T,
): event is CeleryEventRecord & CeleryEvent<T> {
  return event.type === type;
}

export interface EventSender {
  hostname: string;
  pid: number;
  /** The sender's Lamport clock value for this event. */
  clock: number;
  /** Hours west of UTC; defaults to this machine's, as Python computes it. */
  utcoffset?: number;
}

/** Python's celery.utils.time.utcoffset(): hours west of UTC, floor-divided, DST included. */
export function localUtcOffsetHours(at: Date = new Date()): number {
  return Math.floor(at.getTimezoneOffset() / 60);
}

/** Builds an event with Celery's standard fields, in Celery's order. */
export function celeryEvent<T extends CeleryEventType>(
  type: T,
  fields: CeleryEventFields[T],
  sender: EventSender,
  timestamp = Date.now() / 1000,
): CeleryEventBase & { type: T } & CeleryEventFields[T] {
  // Built in Celery's field order. The cast: TypeScript cannot see through the
  // spread of a generic indexed type.
  return {
    hostname: sender.hostname,
    utcoffset: sender.utcoffset ?? localUtcOffsetHours(),
    pid: sender.pid,
    clock: sender.clock,
    ...fields,
    timestamp,
    type,
  } as unknown as CeleryEventBase & { type: T } & CeleryEventFields[T];
}

/**
 * `JSON.stringify(celeryEvent(type, fields, sender, timestamp))`, written as
 * text: a Lovage worker in Celery's mode mirrors three events per task, and
 * building each event object (a spread), stringifying it and then its
 * envelope took about 40 % of the mirror's time.
 */
export function celeryEventText<T extends CeleryEventType>(
  type: T,
  fields: CeleryEventFields[T],
  sender: EventSender,
  timestamp = Date.now() / 1000,
): string {
  const object = JSON.stringify(fields);
  const members = object === '{}' ? '' : `${object.slice(1, -1)},`;
  return `{"hostname":${JSON.stringify(sender.hostname)},"utcoffset":${sender.utcoffset ?? localUtcOffsetHours()},"pid":${sender.pid},"clock":${sender.clock},${members}"timestamp":${timestamp},"type":"${type}"}`;
}

/** The routing key Celery publishes an event (or a batch of one group's events) under. */
export function eventRoutingKey(events: Pick<CeleryEventBase, 'type'> | readonly Pick<CeleryEventBase, 'type'>[]): string {
  if (!Array.isArray(events)) return (events as Pick<CeleryEventBase, 'type'>).type.replace(/-/g, '.');
  const first = (events as readonly Pick<CeleryEventBase, 'type'>[])[0];
  return `${first === undefined ? 'task' : first.type.split('-', 1)[0]}.multi`;
}

/**
 * The envelope kombu PUBLISHes for an event message (one event's JSON, or a
 * `[…]` list's under `<group>.multi`): `serializeEnvelope(buildEnvelope(…))`
 * with headers `{hostname}` and delivery mode 1, written as text.
 */
export function eventEnvelopeText(bodyText: string, hostname: string, exchange: string, routingKey: string, deliveryTag: string = randomUUID()): string {
  const body = Buffer.from(bodyText, 'utf8').toString('base64');
  return `{"body":"${body}","content-encoding":"utf-8","content-type":"${JSON_CONTENT_TYPE}","headers":{"hostname":${JSON.stringify(hostname)}},"properties":{"delivery_mode":1,"delivery_info":{"exchange":${JSON.stringify(exchange)},"routing_key":${JSON.stringify(routingKey)}},"priority":0,"body_encoding":"base64","delivery_tag":${JSON.stringify(deliveryTag)}}}`;
}

function readEvent(value: unknown, path: string): CeleryEventRecord {
  const event = requireRecord(value, path);
  const type = requireString(event.type, `${path}.type`, { nonEmpty: true });
  requireString(event.hostname, `${path}.hostname`);
  requireNumber(event.timestamp, `${path}.timestamp`);
  if (type.startsWith('task-')) requireString(event.uuid, `${path}.uuid`, { nonEmpty: true });
  return event as CeleryEventRecord;
}

/** Decodes a PUBLISHed event message: one event, or a task.multi list of them. */
export function decodeEventMessage(raw: unknown): CeleryEventRecord[] {
  const { body } = readEnvelope(raw);
  if (Array.isArray(body)) return body.map((item, i) => readEvent(item, `body[${i}]`));
  return [readEvent(body, 'body')];
}
