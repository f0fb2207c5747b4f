// Celery's remote control over kombu's pidbox (kombu/pidbox.py, 5.2.4;
// celery/app/control.py and celery/worker/control.py, 5.2.6).
//
// A request is PUBLISHed on the fanout exchange `celery.pidbox` (channel
// `/<db>.celery.pidbox`, routing key ''), headers {clock, expires}; `expires`
// is epoch seconds (time() + timeout), or 0 for fire-and-forget. Body:
//   {method, arguments, destination, pattern, matcher[, ticket, reply_to]}
// destination is a list of node names or null; pattern + matcher ('glob',
// the default, or 'pcre') select nodes otherwise. ticket and reply_to
// {exchange: 'reply.celery.pidbox', routing_key: <caller oid>} are present only
// when the caller waits for replies.
//
// A reply is published to the *direct* exchange reply.celery.pidbox with the
// caller's oid as routing key: kombu looks up the queues bound to that key in
// `_kombu.binding.reply.celery.pidbox` and LPUSHes to each (the caller SADDs
// its binding before publishing the request; without it a reply goes nowhere).
// Headers {ticket, clock}, delivery_mode 1, body {<node name>: <reply>}.
// Replies are {"ok": value} / {"error": text} for control commands and plain
// data for inspect commands; an unknown method answers {"error": "KeyError('x')"}
// and `shutdown` answers nothing.
import { buildEnvelope, readEnvelope, type KombuEnvelope } from './kombu-envelope.js';
import { KombuLayout } from './kombu-layout.js';
import {
  isRecord,
  optionalNumber,
  optionalString,
  requireRecord,
  requireString,
  wrongShape,
  type WireRecord,
} from './wire-shape.js';

const defaultLayout = new KombuLayout();

export interface PidboxReplyTo {
  exchange: string;
  /** The caller's oid; also names its reply queue `<oid>.reply.celery.pidbox`. */
  routingKey: string;
}

export interface ControlRequest {
  method: string;
  arguments: WireRecord;
  destination: string[] | null;
  pattern: string | null;
  matcher: string | null;
  /** Present when the caller waits for replies. */
  ticket: string | undefined;
  replyTo: PidboxReplyTo | undefined;
  /** The caller's Lamport clock. */
  clock: number;
  /** Epoch seconds after which the caller stops listening; 0 when it never listens. */
  expires: number;
}

export interface ControlRequestSpec {
  method: string;
  arguments?: WireRecord;
  destination?: string[] | null;
  pattern?: string | null;
  matcher?: 'glob' | 'pcre' | null;
  /** Give a ticket and replyTo to be answered. */
  ticket?: string;
  replyTo?: PidboxReplyTo;
  clock: number;
  /** The pidbox exchange; defaults to 'celery.pidbox' (KombuLayout.pidboxExchange). */
  exchange?: string;
  /** How long the caller listens, in seconds; sets headers.expires. */
  timeoutSeconds?: number;
  now?: Date;
}

/** Encodes a control request as kombu's Mailbox._publish does. */
export function encodeControlRequest(spec: ControlRequestSpec): KombuEnvelope {
  requireString(spec.method, 'method', { nonEmpty: true });
  if ((spec.ticket === undefined) !== (spec.replyTo === undefined)) {
    throw wrongShape(
      spec.ticket === undefined ? 'ticket' : 'replyTo',
      'both ticket and replyTo, or neither',
      undefined,
    );
  }
  const body: WireRecord = {
    method: spec.method,
    arguments: spec.arguments ?? {},
    destination: spec.destination ?? null,
    pattern: spec.pattern ?? null,
    matcher: spec.matcher ?? null,
  };
  if (spec.ticket !== undefined && spec.replyTo !== undefined) {
    body.ticket = spec.ticket;
    body.reply_to = { exchange: spec.replyTo.exchange, routing_key: spec.replyTo.routingKey };
  }
  const now = (spec.now ?? new Date()).getTime() / 1000;
  const expires =
    spec.timeoutSeconds === undefined || spec.timeoutSeconds === 0 ? 0 : now + spec.timeoutSeconds;
  return buildEnvelope({
    bodyText: JSON.stringify(body),
    headers: { clock: spec.clock, expires },
    exchange: spec.exchange ?? defaultLayout.pidboxExchange,
    routingKey: '',
    deliveryMode: 2,
  });
}

function stringList(value: unknown, path: string): string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
    throw wrongShape(path, 'a list of node names', value);
  return value;
}

/** Decodes a control request PUBLISHed on the pidbox channel. */
export function decodeControlRequest(raw: unknown): ControlRequest {
  const { envelope, body } = readEnvelope(raw);
  const request = requireRecord(body, 'body');
  const replyTo =
    request.reply_to === undefined || request.reply_to === null
      ? undefined
      : requireRecord(request.reply_to, 'body.reply_to');
  const ticket = optionalString(request.ticket, 'body.ticket');
  return {
    method: requireString(request.method, 'body.method', { nonEmpty: true }),
    arguments:
      request.arguments === undefined || request.arguments === null
        ? {}
        : requireRecord(request.arguments, 'body.arguments'),
    destination: stringList(request.destination, 'body.destination'),
    pattern: optionalString(request.pattern, 'body.pattern') ?? null,
    matcher: optionalString(request.matcher, 'body.matcher') ?? null,
    ticket,
    replyTo:
      replyTo === undefined
        ? undefined
        : {
            exchange: requireString(replyTo.exchange, 'body.reply_to.exchange', { nonEmpty: true }),
            routingKey: requireString(replyTo.routing_key, 'body.reply_to.routing_key', { nonEmpty: true }),
          },
    clock: optionalNumber(envelope.headers.clock, 'headers.clock') ?? 0,
    expires: optionalNumber(envelope.headers.expires, 'headers.expires') ?? 0,
  };
}

function globToRegExp(glob: string): RegExp {
  // Python's fnmatch on POSIX: case-sensitive, * ? [seq] [!seq], whole string.
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) out += '\\[';
      else {
        const set = glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        out += `[${set}]`;
        i = end;
      }
    } else out += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 's');
}

/**
 * Whether the node `hostname` should run `request`, by kombu's Node.handle_message
 * rule: a non-empty destination must name it; otherwise a pattern *with* a
 * matcher must match it; otherwise every node runs it (a pattern without a
 * matcher selects everyone, as in kombu).
 */
export function requestTargets(
  request: Pick<ControlRequest, 'destination' | 'pattern' | 'matcher'>,
  hostname: string,
): boolean {
  if (request.destination !== null && request.destination.length > 0)
    return request.destination.includes(hostname);
  if (
    request.pattern === null ||
    request.pattern === '' ||
    request.matcher === null ||
    request.matcher === ''
  )
    return true;
  try {
    if (request.matcher === 'glob') return globToRegExp(request.pattern).test(hostname);
    // Python's re.match anchors at the start only.
    if (request.matcher === 'pcre') return new RegExp(`^(?:${request.pattern})`).test(hostname);
  } catch {
    // A pattern JavaScript cannot compile matches nothing (Python would log the error and skip the request).
    return false;
  }
  return false; // an unknown matcher: kombu raises MatcherNotInstalled and nobody runs it
}

export interface ControlReplySpec {
  /** The answering node's name, e.g. `w1@host`. */
  hostname: string;
  reply: unknown;
  ticket: string;
  replyTo: PidboxReplyTo;
  clock: number;
}

/** Encodes a node's reply as kombu's Mailbox._publish_reply does. */
export function encodeControlReply(spec: ControlReplySpec): KombuEnvelope {
  return buildEnvelope({
    bodyText: JSON.stringify({ [spec.hostname]: spec.reply }),
    headers: { ticket: spec.ticket, clock: spec.clock },
    exchange: spec.replyTo.exchange,
    routingKey: spec.replyTo.routingKey,
    deliveryMode: 1,
  });
}

export interface ControlReply {
  ticket: string | undefined;
  clock: number;
  /** Node name → its reply; a reply message normally holds exactly one node. */
  replies: WireRecord;
}

/** Decodes a reply popped from a caller's reply queue. */
export function decodeControlReply(raw: unknown): ControlReply {
  const { envelope, body } = readEnvelope(raw);
  if (!isRecord(body) || Object.keys(body).length === 0)
    throw wrongShape('body', '{<node name>: <reply>}', body);
  return {
    ticket: optionalString(envelope.headers.ticket, 'headers.ticket'),
    clock: optionalNumber(envelope.headers.clock, 'headers.clock') ?? 0,
    replies: body,
  };
}
