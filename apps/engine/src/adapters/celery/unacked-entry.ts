// kombu's ack emulation on Redis (kombu/transport/redis.py QoS, 5.2.4).
//
// When a consumer takes a message it writes, in one pipeline,
//   ZADD unacked_index <epoch seconds, float> <delivery_tag>
//   HSET unacked <delivery_tag> '[<envelope>, "<exchange>", "<routing_key>"]'
// Ack is ZREM + HDEL. Restoring (visibility timeout passed, or a warm
// shutdown) reads the entry, removes both, sets headers.redelivered and
// delivery_info.redelivered to true and RPUSHes the envelope back to every
// queue the exchange/routing key lead to (LPUSH for reject(requeue=True), which
// puts it at the far end of kombu's BRPOP). Python and Lovage workers restore
// each other's entries, so this exact triple is the contract.
import { CeleryWireError } from './celery-wire-error.js';
import type { KombuEnvelope } from './kombu-envelope.js';
import { parseJson } from './kombu-json.js';
import { isRecord, requireRecord, requireString, type WireRecord } from './wire-shape.js';

export interface UnackedEntry {
  /**
   * The envelope as stored. Not checked beyond being an object: a restore must
   * put back even a message no worker can read (it is dead-lettered when it is
   * delivered again, with its reason), as kombu does.
   */
  envelope: WireRecord;
  exchange: string;
  routingKey: string;
}

/** The value to HSET into `unacked` under the message's delivery tag. */
export function encodeUnackedEntry(entry: {
  envelope: KombuEnvelope | WireRecord;
  exchange: string;
  routingKey: string;
}): string {
  return JSON.stringify([entry.envelope, entry.exchange, entry.routingKey]);
}

/** Reads an `unacked` hash value. */
export function decodeUnackedEntry(text: string | Buffer): UnackedEntry {
  const value = parseJson(text.toString(), '(unacked entry)');
  if (!Array.isArray(value) || value.length !== 3) {
    throw new CeleryWireError('BAD_FIELD', '(unacked entry)', 'expected [envelope, exchange, routing_key]');
  }
  return {
    envelope: requireRecord(value[0], '(unacked entry)[0]'),
    exchange: requireString(value[1], '(unacked entry)[1]'),
    routingKey: requireString(value[2], '(unacked entry)[2]'),
  };
}

/**
 * A copy of `envelope` marked the way kombu marks a restored message:
 * headers.redelivered and properties.delivery_info.redelivered. Like kombu, a
 * part that is missing is left missing.
 */
export function markRedelivered<T extends KombuEnvelope | WireRecord>(envelope: T): T {
  const copy: WireRecord = { ...envelope };
  if (isRecord(copy.headers)) copy.headers = { ...copy.headers, redelivered: true };
  if (isRecord(copy.properties) && isRecord(copy.properties.delivery_info)) {
    copy.properties = {
      ...copy.properties,
      delivery_info: { ...copy.properties.delivery_info, redelivered: true },
    };
  }
  return copy as T;
}
