// kombu's Redis transport envelope: the JSON object kombu LPUSHes into a queue
// list, PUBLISHes for fanout (events, pidbox) and stores in the `unacked` hash.
//
//   {"body": "<base64>", "content-encoding": "utf-8", "content-type": "application/json",
//    "headers": {…}, "properties": {"delivery_info": {"exchange": "", "routing_key": "celery"},
//      "priority": 0, "body_encoding": "base64", "delivery_tag": "<uuid4>", …}}
//
// Checked against kombu 5.2.4 (kombu/transport/virtual/base.py): the receiving
// side needs `properties.delivery_tag` (KeyError otherwise) and, for queues with
// ack emulation, `properties.delivery_info.exchange/routing_key` (the QoS writes
// them into the unacked entry: a Python worker dies without them). The body is
// base64 only when `body_encoding` says so; a missing `content-encoding` is read
// as UTF-8. `headers.compression` names a compression of the serialized body;
// kombu's 'application/x-gzip' is in fact zlib (zlib.compress), the only one read here.
import { randomUUID } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { CeleryWireError } from './celery-wire-error.js';
import { decodeBase64Strict, parseJson } from './kombu-json.js';
import {
  optionalInteger,
  optionalString,
  requireRecord,
  requireString,
  type WireRecord,
} from './wire-shape.js';

export const JSON_CONTENT_TYPE = 'application/json';

export interface KombuDeliveryInfo {
  exchange: string;
  routing_key: string;
  /** Set by kombu when it restores an unacked message. */
  redelivered?: boolean;
  [extra: string]: unknown;
}

export interface KombuProperties {
  correlation_id?: string;
  reply_to?: string;
  /** 2 = persistent (tasks, control requests), 1 = transient (events, replies). Informational on Redis. */
  delivery_mode?: number;
  /** Milliseconds, as a string (AMQP's per-message TTL). Celery sets it from `expires`; kombu's Redis transport ignores it. */
  expiration?: string;
  delivery_info: KombuDeliveryInfo;
  /** 0-9; on Redis it picks the priority sub-queue, and a lower number is served first. */
  priority: number;
  body_encoding?: 'base64' | null;
  delivery_tag: string;
  [extra: string]: unknown;
}

export interface KombuEnvelope {
  body: string;
  'content-encoding': string | null;
  'content-type': string | null;
  headers: WireRecord;
  properties: KombuProperties;
}

export interface ReadEnvelope {
  envelope: KombuEnvelope;
  /** The body, base64-decoded, decompressed and parsed as JSON (type tags not yet decoded). */
  body: unknown;
}

function decodeBodyText(envelope: WireRecord, properties: WireRecord, headers: WireRecord): string {
  const contentType = envelope['content-type'];
  if (contentType !== JSON_CONTENT_TYPE) {
    const what =
      contentType === undefined || contentType === null ? 'is missing' : `is ${JSON.stringify(contentType)}`;
    throw new CeleryWireError(
      'UNSUPPORTED_CONTENT',
      'content-type',
      `${what}; Lovage reads ${JSON_CONTENT_TYPE} only (set the producer's serializer to json)`,
    );
  }
  const encoding = envelope['content-encoding'];
  if (
    encoding !== undefined &&
    encoding !== null &&
    (typeof encoding !== 'string' || !/^utf-?8$/i.test(encoding))
  ) {
    throw new CeleryWireError(
      'UNSUPPORTED_CONTENT',
      'content-encoding',
      `is ${JSON.stringify(encoding)}; JSON bodies are utf-8`,
    );
  }
  const body = envelope.body;
  if (typeof body !== 'string')
    throw new CeleryWireError(
      body === undefined ? 'MISSING_FIELD' : 'BAD_FIELD',
      'body',
      'expected a string',
    );
  const bodyEncoding = properties.body_encoding;
  const compression = headers.compression;
  if (bodyEncoding !== 'base64') {
    if (bodyEncoding !== undefined && bodyEncoding !== null) {
      throw new CeleryWireError(
        'UNSUPPORTED_CONTENT',
        'properties.body_encoding',
        `is ${JSON.stringify(bodyEncoding)}; kombu writes "base64" or nothing`,
      );
    }
    if (compression !== undefined && compression !== null) {
      throw new CeleryWireError(
        'UNSUPPORTED_CONTENT',
        'headers.compression',
        'a compressed body must be base64-encoded',
      );
    }
    return body;
  }
  const bytes = decodeBase64Strict(body, 'body');
  if (compression === undefined || compression === null) return bytes.toString('utf8');
  if (compression !== 'application/x-gzip') {
    throw new CeleryWireError(
      'UNSUPPORTED_CONTENT',
      'headers.compression',
      `is ${JSON.stringify(compression)}; Lovage reads application/x-gzip (zlib) only`,
    );
  }
  try {
    return inflateSync(bytes).toString('utf8');
  } catch (err) {
    throw new CeleryWireError('UNSUPPORTED_CONTENT', 'body', `is not zlib data (${(err as Error).message})`, {
      cause: err,
    });
  }
}

/**
 * Reads an envelope as it comes out of a queue list, a PUBLISH or the unacked
 * hash (text, bytes, or already-parsed JSON, which is normalized in place), and
 * parses its body as JSON. Everything a peer needs is checked, so a message
 * that would kill a Python worker fails here with a reason instead.
 */
export function readEnvelope(raw: unknown): ReadEnvelope {
  const parsed =
    typeof raw === 'string' || Buffer.isBuffer(raw) ? parseJson(raw.toString(), '(envelope)') : raw;
  const envelope = requireRecord(parsed, '(envelope)');
  const properties = requireRecord(envelope.properties, 'properties');
  const info = requireRecord(properties.delivery_info, 'properties.delivery_info');
  requireString(info.exchange, 'properties.delivery_info.exchange');
  requireString(info.routing_key, 'properties.delivery_info.routing_key');
  requireString(properties.delivery_tag, 'properties.delivery_tag', { nonEmpty: true });
  properties.priority = optionalInteger(properties.priority, 'properties.priority', 0);
  optionalString(properties.correlation_id, 'properties.correlation_id');
  const headers =
    envelope.headers === undefined || envelope.headers === null
      ? {}
      : requireRecord(envelope.headers, 'headers');
  envelope.headers = headers;
  const bodyText = decodeBodyText(envelope, properties, headers);
  return { envelope: envelope as unknown as KombuEnvelope, body: parseJson(bodyText, 'body') };
}

export interface EnvelopeSpec {
  /** The message body as JSON text (kombu JSON for task data: see stringifyKombuJson). */
  bodyText: string;
  headers: WireRecord;
  exchange: string;
  routingKey: string;
  priority?: number;
  deliveryMode: 1 | 2;
  /** Properties that come before delivery_info in kombu's order (correlation_id, reply_to, expiration…). */
  properties?: Record<string, unknown>;
  /** Defaults to a random uuid4, as kombu's virtual channel does. */
  deliveryTag?: string;
}

/**
 * Builds an envelope the way kombu's Producer.publish and the virtual channel
 * do: JSON body, base64 body encoding, a fresh delivery tag, and the exchange
 * and routing key in delivery_info.
 */
export function buildEnvelope(spec: EnvelopeSpec): KombuEnvelope {
  // Copied key by key rather than spread first: on Node 20 a literal that starts with a spread
  // pays about 1.5 µs for each property written after it.
  const properties: Record<string, unknown> = {};
  if (spec.properties) for (const key of Object.keys(spec.properties)) properties[key] = spec.properties[key];
  properties.delivery_mode = spec.deliveryMode;
  properties.delivery_info = { exchange: spec.exchange, routing_key: spec.routingKey };
  properties.priority = spec.priority ?? 0;
  properties.body_encoding = 'base64';
  properties.delivery_tag = spec.deliveryTag ?? randomUUID();
  return {
    body: Buffer.from(spec.bodyText, 'utf8').toString('base64'),
    'content-encoding': 'utf-8',
    'content-type': JSON_CONTENT_TYPE,
    headers: spec.headers,
    properties: properties as KombuEnvelope['properties'],
  };
}

/** The text to LPUSH or PUBLISH. */
export function serializeEnvelope(envelope: KombuEnvelope): string {
  return JSON.stringify(envelope);
}
