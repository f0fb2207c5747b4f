// Celery task messages: protocol v2 (read and written) and protocol v1 (read).
//
// Protocol v2, as Celery 5.2.6 writes it (celery/app/amqp.py as_task_v2):
//   headers  lang, task, id, shadow, eta, expires, group, group_index, retries,
//            timelimit [hard, soft], root_id, parent_id, argsrepr, kwargsrepr,
//            origin, ignore_result
//   body     [args, kwargs, {callbacks, errbacks, chain, chord}]
//   properties correlation_id (= id), reply_to, delivery_mode 2, priority,
//            expiration (ms as a string, only with expires) and kombu's own.
// Celery 5.3+ adds replaced_task_nesting, stamped_headers and stamps to the
// headers (the shared reference lists them); 5.2.6 has none of them, and 5.6's
// worker reads all three with .get(), so they are not written here. A 5.2.6
// worker retrying a task puts replaced_task_nesting and origin in the
// *properties* instead: unknown properties pass through untouched.
//
// Protocol v1 puts everything in a body object {task, id, args, kwargs, eta,
// expires, retries, timelimit, taskset, utc, callbacks, errbacks, chord} with
// empty headers. A "hybrid" body (a v1 object while headers name the task) is
// read like Celery's hybrid_to_proto2: body fields first, headers win.
//
// Which shapes a Python 5.2.6 worker dies on, and so what is refused here with
// a reason rather than handed to a task: no delivery_info or delivery_tag (see
// kombu-envelope.ts), a v2 body that is not exactly three elements (the pool
// unpacks `args, kwargs, embed = body`), args that are not a list, kwargs that
// are not a mapping, no task name or id, an eta or expires Celery cannot parse.
import { CeleryWireError } from './celery-wire-error.js';
import { buildEnvelope, readEnvelope, type KombuEnvelope } from './kombu-envelope.js';
import {
  decodeKombuValue,
  stringifyKombuJson,
  type KombuDecodeOptions,
  type KombuDialect,
} from './kombu-json.js';
import { formatPythonDatetime, parsePythonDatetime } from './python-datetime.js';
import { pythonRepr } from './python-repr.js';
import {
  isRecord,
  optionalBoolean,
  optionalInteger,
  optionalNumber,
  optionalString,
  requireRecord,
  requireString,
  wrongShape,
  type WireRecord,
} from './wire-shape.js';

/**
 * Canvas links carried with a task. Signatures are kept as sent, not decoded (kombu JSON, type tags
 * included), so they can be published onward unchanged: {task, args, kwargs, options, subtask_type, immutable}.
 */
export interface CeleryEmbed {
  callbacks: unknown[] | null;
  errbacks: unknown[] | null;
  /** Reversed: the next task to run is the last element. */
  chain: unknown[] | null;
  chord: unknown;
}

export interface CeleryTaskMessage {
  protocol: 1 | 2;
  id: string;
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  embed: CeleryEmbed;
  eta: Date | undefined;
  expires: Date | undefined;
  retries: number;
  /** Seconds (Celery's unit), from the timelimit header [hard, soft]. */
  timeLimit: number | undefined;
  softTimeLimit: number | undefined;
  rootId: string | undefined;
  parentId: string | undefined;
  groupId: string | undefined;
  groupIndex: number | undefined;
  shadow: string | undefined;
  origin: string | undefined;
  lang: string | undefined;
  ignoreResult: boolean;
  argsrepr: string | undefined;
  kwargsrepr: string | undefined;
  /** kombu restored it from the unacked hash: some worker held it and died or shut down. */
  redelivered: boolean;
  /** Every header as sent (after merging a v1 body), unknown ones included. */
  headers: WireRecord;
  exchange: string;
  routingKey: string;
  deliveryTag: string;
  priority: number;
  correlationId: string | undefined;
  replyTo: string | undefined;
  /** The envelope as read, for the unacked entry and for a faithful restore. */
  envelope: KombuEnvelope;
}

function optionalDate(value: unknown, path: string): Date | undefined {
  const text = optionalString(value, path);
  if (text === undefined) return undefined;
  const date = parsePythonDatetime(text);
  if (date === undefined)
    throw new CeleryWireError('BAD_FIELD', path, `${JSON.stringify(text)} is not an ISO-8601 datetime`);
  return date;
}

function readTimeLimit(value: unknown, path: string): [number | undefined, number | undefined] {
  if (value === undefined || value === null) return [undefined, undefined];
  if (!Array.isArray(value) || value.length !== 2) throw wrongShape(path, '[hard, soft]', value);
  return [optionalNumber(value[0], `${path}[0]`), optionalNumber(value[1], `${path}[1]`)];
}

function readEmbed(value: unknown, path: string): CeleryEmbed {
  if (value === undefined || value === null)
    return { callbacks: null, errbacks: null, chain: null, chord: null };
  const embed = requireRecord(value, path);
  const list = (key: string): unknown[] | null => {
    const item = embed[key];
    if (item === undefined || item === null) return null;
    if (!Array.isArray(item)) throw wrongShape(`${path}.${key}`, 'a list of signatures', item);
    return item as unknown[];
  };
  return {
    callbacks: list('callbacks'),
    errbacks: list('errbacks'),
    chain: list('chain'),
    chord: embed.chord ?? null,
  };
}

/** The v2 body's parts, or a v1 body turned into v2 parts and headers (Celery's proto1_to_proto2 / hybrid_to_proto2). */
function splitBody(
  body: unknown,
  headers: WireRecord,
): { protocol: 1 | 2; fields: WireRecord; args: unknown; kwargs: unknown; embed: unknown; at: string[] } {
  if (isRecord(body) && (headers.task === undefined || 'args' in body)) {
    const { args, kwargs, callbacks, errbacks, chord, taskset, ...rest } = body;
    const fields: WireRecord = { ...rest, ...headers };
    if (taskset !== undefined && fields.group === undefined) fields.group = taskset;
    return {
      protocol: 1,
      fields,
      args: args ?? [],
      kwargs: kwargs ?? {},
      embed: { callbacks, errbacks, chord, chain: null },
      at: ['body.args', 'body.kwargs', 'body'],
    };
  }
  if (!Array.isArray(body)) {
    throw wrongShape('body', '[args, kwargs, embed] (protocol v2) or a protocol v1 object with "task"', body);
  }
  if (body.length !== 3) {
    throw new CeleryWireError(
      'BAD_FIELD',
      'body',
      `has ${body.length} element(s); protocol v2 needs exactly [args, kwargs, embed]`,
    );
  }
  return {
    protocol: 2,
    fields: headers,
    args: body[0],
    kwargs: body[1],
    embed: body[2],
    at: ['body[0]', 'body[1]', 'body[2]'],
  };
}

/**
 * Decodes a task message as read from a kombu queue list (or the unacked hash).
 * Throws CeleryWireError naming the field for anything a worker cannot run.
 */
export function decodeTaskMessage(raw: unknown, options: KombuDecodeOptions = {}): CeleryTaskMessage {
  const { envelope, body } = readEnvelope(raw);
  const { protocol, fields, args, kwargs, embed, at } = splitBody(body, envelope.headers);
  const [argsAt, kwargsAt, embedAt] = at as [string, string, string];
  const where = (name: string): string => (protocol === 2 ? `headers.${name}` : `body.${name}`);
  if (!Array.isArray(args)) throw wrongShape(argsAt, 'a list of positional arguments', args);
  const kwargsRecord = requireRecord(kwargs, kwargsAt);
  const [timeLimit, softTimeLimit] = readTimeLimit(fields.timelimit, where('timelimit'));
  const properties = envelope.properties;
  return {
    protocol,
    id: requireString(fields.id, where('id'), { nonEmpty: true }),
    task: requireString(fields.task, where('task'), { nonEmpty: true }),
    args: decodeKombuValue(args, argsAt, options) as unknown[],
    kwargs: decodeKombuValue(kwargsRecord, kwargsAt, options) as Record<string, unknown>,
    // Signatures stay as sent (kombu JSON, tags and all): they are passed on to the next hop unchanged.
    embed: readEmbed(embed, embedAt),
    eta: optionalDate(fields.eta, where('eta')),
    expires: optionalDate(fields.expires, where('expires')),
    retries: optionalInteger(fields.retries, where('retries'), 0),
    timeLimit,
    softTimeLimit,
    rootId: optionalString(fields.root_id, where('root_id')),
    parentId: optionalString(fields.parent_id, where('parent_id')),
    groupId: optionalString(fields.group, where('group')),
    groupIndex:
      fields.group_index === null || fields.group_index === undefined
        ? undefined
        : optionalInteger(fields.group_index, where('group_index'), 0),
    shadow: optionalString(fields.shadow, where('shadow')),
    origin: optionalString(fields.origin, where('origin')),
    lang: optionalString(fields.lang, where('lang')),
    ignoreResult: optionalBoolean(fields.ignore_result, where('ignore_result'), false),
    argsrepr: optionalString(fields.argsrepr, where('argsrepr')),
    kwargsrepr: optionalString(fields.kwargsrepr, where('kwargsrepr')),
    redelivered: fields.redelivered === true || properties.delivery_info.redelivered === true,
    headers: fields,
    exchange: properties.delivery_info.exchange,
    routingKey: properties.delivery_info.routing_key,
    deliveryTag: properties.delivery_tag,
    priority: properties.priority,
    correlationId: optionalString(properties.correlation_id, 'properties.correlation_id'),
    replyTo: optionalString(properties.reply_to, 'properties.reply_to'),
    envelope,
  };
}

export interface CeleryTaskSpec {
  id: string;
  task: string;
  args?: readonly unknown[];
  kwargs?: Record<string, unknown>;
  /** The queue; with the default anonymous exchange it is also the routing key. */
  queue: string;
  /** '' (the default) is kombu's anonymous exchange: the message goes straight to `queue`. */
  exchange?: string;
  eta?: Date | undefined;
  /**
   * After this the task is not started (a worker stores REVOKED "expired").
   * Beware with Python 5.2.6 workers: a task that has expires and calls
   * self.retry() fails inside retry (send_task compares the ISO string with 0:
   * TypeError), the retry is rejected and no result is ever stored.
   */
  expires?: Date | undefined;
  /** 0-9. On Redis a lower number is served first (the reverse of RabbitMQ). */
  priority?: number | undefined;
  retries?: number;
  /** Seconds. */
  timeLimit?: number | undefined;
  softTimeLimit?: number | undefined;
  rootId?: string | undefined;
  parentId?: string | undefined;
  groupId?: string | undefined;
  groupIndex?: number | undefined;
  shadow?: string | undefined;
  /** Who sent it: Celery writes `gen<pid>@<host>` for producers and the node name for workers. */
  origin: string;
  /** The producer's oid; Celery always sends one, '' when there is none. */
  replyTo?: string;
  ignoreResult?: boolean;
  embed?: Partial<CeleryEmbed>;
  argsrepr?: string;
  kwargsrepr?: string;
  /** Headers to add after Celery's own (e.g. stamps for a 5.3+ peer). */
  extraHeaders?: WireRecord;
  lang?: string;
  deliveryTag?: string;
  /** The clock for `expiration`; defaults to now. */
  now?: Date;
}

/**
 * Encodes a protocol v2 task message in kombu's Redis envelope. `dialect`
 * picks how dates and bytes in args/kwargs are written (see kombu-json.ts);
 * values JSON cannot carry throw SerializationError naming `args[i]`/`kwargs.x`.
 */
export function encodeTaskMessage(spec: CeleryTaskSpec, dialect: KombuDialect): KombuEnvelope {
  requireString(spec.id, 'id', { nonEmpty: true });
  requireString(spec.task, 'task', { nonEmpty: true });
  requireString(spec.queue, 'queue', { nonEmpty: true });
  // Encoded part by part so a refused value is named args[i] or kwargs.x.
  const args = stringifyKombuJson(spec.args ?? [], dialect, 'args');
  const kwargs = stringifyKombuJson(spec.kwargs ?? {}, dialect, 'kwargs');
  const embed = stringifyKombuJson(
    {
      callbacks: spec.embed?.callbacks ?? null,
      errbacks: spec.embed?.errbacks ?? null,
      chain: spec.embed?.chain ?? null,
      chord: spec.embed?.chord ?? null,
    },
    dialect,
    'embed',
  );
  const headers: WireRecord = {
    lang: spec.lang ?? 'ts',
    task: spec.task,
    id: spec.id,
    shadow: spec.shadow ?? null,
    eta: spec.eta === undefined ? null : formatPythonDatetime(spec.eta),
    expires: spec.expires === undefined ? null : formatPythonDatetime(spec.expires),
    group: spec.groupId ?? null,
    group_index: spec.groupIndex ?? null,
    retries: spec.retries ?? 0,
    timelimit: [spec.timeLimit ?? null, spec.softTimeLimit ?? null],
    root_id: spec.rootId ?? spec.id,
    parent_id: spec.parentId ?? null,
    argsrepr: spec.argsrepr ?? pythonRepr(spec.args ?? []),
    kwargsrepr: spec.kwargsrepr ?? pythonRepr(spec.kwargs ?? {}),
    origin: spec.origin,
    ignore_result: spec.ignoreResult ?? false,
    ...spec.extraHeaders,
  };
  const properties: Record<string, unknown> = { correlation_id: spec.id, reply_to: spec.replyTo ?? '' };
  if (spec.expires !== undefined) {
    // Celery: str(int(seconds_left * 1000)), and 0 for a time already past.
    const left = spec.expires.getTime() - (spec.now ?? new Date()).getTime();
    properties.expiration = String(Math.max(0, Math.trunc(left)));
  }
  const priority = spec.priority ?? 0;
  if (!Number.isInteger(priority) || priority < 0 || priority > 9)
    throw wrongShape('priority', 'an integer 0-9', priority);
  return buildEnvelope({
    bodyText: `[${args}, ${kwargs}, ${embed}]`,
    headers,
    exchange: spec.exchange ?? '',
    routingKey: spec.queue,
    priority,
    deliveryMode: 2,
    properties,
    deliveryTag: spec.deliveryTag,
  });
}
