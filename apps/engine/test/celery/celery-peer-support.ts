// What the Celery interoperability tests share: the kombu layout of a test's
// peer configuration and the few Redis moves an adapter will make, done here
// by hand with the codec (send a task the way kombu does, wait for a result,
// make a pidbox call).
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { PeerConfig } from '@lovage/test-support/python-peer';
import { expect } from 'vitest';
import { uniquePrefix } from '@lovage/test-support/redis';
import { Lovage, type LovageOptions } from '../../src/index.js';
import { serializeEnvelope, type KombuEnvelope } from '../../src/adapters/celery/kombu-envelope.js';
import { KombuLayout } from '../../src/adapters/celery/kombu-layout.js';
import { decodeControlReply, encodeControlRequest } from '../../src/adapters/celery/pidbox.js';
import { decodeResultMeta, type CeleryResultMeta } from '../../src/adapters/celery/result-meta.js';

/** The layout a Python peer with `config` uses (its global_keyprefix, its broker's db). */
export function layoutFor(config: PeerConfig): KombuLayout {
  const db = Number(new URL(config.brokerUrl).pathname.slice(1) || 0);
  return new KombuLayout({ globalKeyPrefix: config.keyPrefix, db });
}

/**
 * A Lovage app in protocol 'celery' on the peer's cluster: the peer's broker,
 * key prefix and queue; Lovage's own keys (events, control) under `prefix`,
 * which the test deletes afterwards.
 */
export function lovageAppFor(config: PeerConfig, label: string, options: LovageOptions = {}): { app: Lovage; prefix: string } {
  const prefix = uniquePrefix(label);
  const app = new Lovage({
    protocol: 'celery',
    broker: config.brokerUrl,
    celeryKeyPrefix: config.keyPrefix,
    defaultQueue: config.queue,
    prefix,
    logLevel: 'silent',
    ...options,
  });
  return { app, prefix };
}

/** Sends a task envelope as kombu's producer does: bind the queue, LPUSH to the priority sub-queue. */
export async function pushTask(redis: Redis, layout: KombuLayout, envelope: KombuEnvelope): Promise<void> {
  const queue = envelope.properties.delivery_info.routing_key;
  const binding = layout.queueBinding(queue);
  await redis.sadd(binding.key, binding.member);
  await redis.lpush(layout.queueKey(queue, envelope.properties.priority), serializeEnvelope(envelope));
}

/** Waits (up to a minute: a busy machine) for a result meta in one of `states` and decodes it. */
export async function waitForResult(
  redis: Redis,
  layout: KombuLayout,
  taskId: string,
  states = ['SUCCESS', 'FAILURE', 'REVOKED'],
): Promise<CeleryResultMeta> {
  let meta: CeleryResultMeta | undefined;
  await expect
    .poll(
      async () => {
        const text = await redis.get(layout.resultKey(taskId));
        meta = text === null ? undefined : decodeResultMeta(text);
        return meta?.status;
      },
      { timeout: 60_000, interval: 100 },
    )
    .toSatisfy((status: string | undefined) => status !== undefined && states.includes(status));
  return meta!;
}

/**
 * One pidbox call the way kombu's Mailbox does it: bind a reply queue, publish
 * the request, pop replies from the reply queue, unbind. Returns the replies
 * that carry this call's ticket, collected until `expected` nodes answered.
 */
export async function pidboxCall(
  redis: Redis,
  layout: KombuLayout,
  method: string,
  options: { arguments?: Record<string, unknown>; destination: string[]; timeoutSeconds?: number },
): Promise<Record<string, unknown>> {
  const oid = randomUUID();
  const ticket = randomUUID();
  const timeoutSeconds = options.timeoutSeconds ?? 20;
  const binding = layout.replyBinding(oid);
  const replyKeys = layout.queueKeys(layout.replyQueue(oid));
  // BRPOP blocks its connection: use one of its own.
  const blocking = redis.duplicate();
  await redis.sadd(binding.key, binding.member);
  try {
    const request = encodeControlRequest({
      method,
      arguments: options.arguments ?? {},
      destination: options.destination,
      ticket,
      replyTo: { exchange: layout.replyExchange, routingKey: oid },
      clock: 1,
      timeoutSeconds,
    });
    await redis.publish(layout.pidboxChannel, serializeEnvelope(request));
    const replies: Record<string, unknown> = {};
    while (Object.keys(replies).length < options.destination.length) {
      const popped = await blocking.brpop(...replyKeys, timeoutSeconds);
      if (popped === null) break;
      const reply = decodeControlReply(popped[1]);
      if (reply.ticket === ticket) Object.assign(replies, reply.replies);
    }
    return replies;
  } finally {
    blocking.disconnect();
    await redis.srem(binding.key, binding.member);
    await redis.del(...replyKeys);
  }
}
