import { expect, it } from 'vitest';
import { CeleryWireError } from './celery-wire-error.js';
import { decodeUnackedEntry, encodeUnackedEntry, markRedelivered } from './unacked-entry.js';
import { encodeTaskMessage } from './task-message.js';

const envelope = encodeTaskMessage(
  { id: 'u1', task: 'peer.add', args: [1, 2], queue: 'celery', origin: 'test' },
  'kombu-5.2',
);

it('writes exactly [envelope, exchange, routing_key], as kombu 5.2.4 HSETs it, and reads it back', () => {
  const text = encodeUnackedEntry({ envelope, exchange: '', routingKey: 'celery' });
  const raw = JSON.parse(text) as unknown[];
  expect(raw).toHaveLength(3);
  expect(raw.slice(1)).toEqual(['', 'celery']);
  expect(decodeUnackedEntry(text)).toEqual({ envelope, exchange: '', routingKey: 'celery' });
});

it('keeps an envelope no worker can read, so a restore still puts it back', () => {
  expect(decodeUnackedEntry('[{"body": 1}, "", "celery"]').envelope).toEqual({ body: 1 });
});

it('refuses an entry that is not the triple', () => {
  for (const text of ['nope', '{"a": 1}', '[{}, ""]', '[[], "", "q"]', '[{}, 1, "q"]']) {
    expect(() => decodeUnackedEntry(text), text).toThrow(CeleryWireError);
  }
});

it('marks a restored message the way kombu does, without touching the original', () => {
  const marked = markRedelivered(envelope);
  expect(marked.headers.redelivered).toBe(true);
  expect(marked.properties.delivery_info.redelivered).toBe(true);
  expect(envelope.headers.redelivered).toBeUndefined();
  expect(markRedelivered({ body: 'x' })).toEqual({ body: 'x' });
});
