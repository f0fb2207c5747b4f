// kombu's message on RabbitMQ, translated to and from the envelope the rest of
// Celery mode speaks (kombu's Redis envelope, kombu-envelope.ts), so the codec,
// pidbox and events code stay transport-free.
//
// On RabbitMQ kombu's py-amqp transport (kombu/transport/pyamqp.py, 5.2.4)
// sends the serialized body as the frame's content and the rest as AMQP
// basic properties: content_type, content_encoding, application_headers (the
// protocol v2 headers), delivery_mode (2 for tasks, 1 for events and pidbox),
// priority, correlation_id, reply_to and expiration. `delivery_info` and the
// delivery tag come from the broker on receipt (basic.deliver), not from the
// message: the envelope built here takes them from there.
import type { ConsumeMessage, GetMessage, Options } from 'amqplib';
import type { KombuEnvelope } from '../celery/kombu-envelope.js';
import { isRecord, type WireRecord } from '../celery/wire-shape.js';

/** A message ready for basic.publish. */
export interface AmqpFrame {
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: Options.Publish;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * A received message as the envelope kombu's Redis transport would have
 * stored: the content base64-encoded (any bytes survive; the codec checks the
 * content type), delivery_info from the delivery, and `tag` as the delivery tag.
 */
export function envelopeOfFrame(message: ConsumeMessage | GetMessage, tag: string): string {
  const p = message.properties;
  const properties: WireRecord = {};
  if (p.correlationId !== undefined) properties.correlation_id = p.correlationId;
  if (p.replyTo !== undefined) properties.reply_to = p.replyTo;
  if (p.deliveryMode !== undefined) properties.delivery_mode = p.deliveryMode;
  if (p.expiration !== undefined) properties.expiration = String(p.expiration);
  properties.delivery_info = {
    exchange: message.fields.exchange,
    routing_key: message.fields.routingKey,
    ...(message.fields.redelivered ? { redelivered: true } : {}),
  };
  properties.priority = typeof p.priority === 'number' ? p.priority : 0;
  properties.body_encoding = 'base64';
  properties.delivery_tag = tag;
  const envelope = {
    body: message.content.toString('base64'),
    'content-encoding': text(p.contentEncoding) ?? null,
    'content-type': text(p.contentType) ?? null,
    headers: isRecord(p.headers) ? p.headers : {},
    properties,
  };
  return JSON.stringify(envelope);
}

/**
 * An envelope (as the codec, pidbox or events encoder made it) as the frame
 * kombu's py-amqp producer sends: the body decoded from base64, Redis-only
 * properties (delivery_info, delivery_tag, body_encoding) dropped. `exchange`
 * and `routingKey` default to the envelope's delivery_info.
 */
export function frameOfEnvelope(envelope: KombuEnvelope, route?: { exchange: string; routingKey: string }): AmqpFrame {
  const p = envelope.properties;
  const content = p.body_encoding === 'base64' ? Buffer.from(envelope.body, 'base64') : Buffer.from(envelope.body, 'utf8');
  const options: Options.Publish = {
    contentType: envelope['content-type'] ?? undefined,
    contentEncoding: envelope['content-encoding'] ?? undefined,
    headers: envelope.headers,
    deliveryMode: p.delivery_mode ?? 2,
    priority: p.priority,
  };
  if (typeof p.correlation_id === 'string') options.correlationId = p.correlation_id;
  if (typeof p.reply_to === 'string') options.replyTo = p.reply_to;
  if (typeof p.expiration === 'string') options.expiration = p.expiration;
  return {
    exchange: route?.exchange ?? p.delivery_info.exchange,
    routingKey: route?.routingKey ?? p.delivery_info.routing_key,
    content,
    options,
  };
}
