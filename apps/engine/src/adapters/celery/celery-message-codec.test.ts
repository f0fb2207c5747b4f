import { describe, expect, it } from 'vitest';
import { callArguments } from '../../task/message.js';
import { CeleryMessageCodec } from './celery-message-codec.js';
import { buildEnvelope, serializeEnvelope } from './kombu-envelope.js';
import { decodeTaskMessage, encodeTaskMessage } from './task-message.js';

const codec = new CeleryMessageCodec({ dialect: 'kombu-5.2', origin: 'gen1@test' });

describe("Celery's protocol v2 as the engine's task message", () => {
  it('reads a Python-style message: args, kwargs (dates tagged the engine way), eta, expires, priority, ids', () => {
    const when = new Date('2026-01-02T03:04:05.678Z');
    const eta = new Date('2026-05-01T00:00:00Z');
    const body = serializeEnvelope(
      encodeTaskMessage(
        {
          id: 't1',
          task: 'proj.add',
          args: [2, when],
          kwargs: { z: 1 },
          queue: 'celery',
          eta,
          expires: new Date(eta.getTime() + 60_000),
          priority: 6,
          retries: 2,
          timeLimit: 30,
          softTimeLimit: 20,
          parentId: 'p1',
          origin: 'gen7@py',
          replyTo: 'oid',
        },
        'kombu-5.2',
      ),
    );
    const decoded = codec.decode(body);
    if (!decoded.ok) throw new Error(decoded.reason);
    expect(decoded.message).toMatchObject({
      v: 1,
      id: 't1',
      task: 'proj.add',
      args: [2, { __type__: 'date', __value__: when.toISOString() }],
      kwargs: { z: 1 },
      queue: 'celery',
      priority: 6,
      eta: eta.getTime(),
      expires: eta.getTime() + 60_000,
      retries: 2,
      headers: { rootId: 't1', parentId: 'p1', timeLimit: 30, softTimeLimit: 20, origin: 'gen7@py', replyTo: 'oid' },
      attempts: [],
    });
    expect(callArguments(decoded.message)).toEqual([2, { __type__: 'date', __value__: when.toISOString() }, { z: 1 }]);
  });

  it('writes a retry back as protocol v2 that keeps the id, root, parent, kwargs and limits, with the new retries and eta', () => {
    const first = codec.decode(
      serializeEnvelope(
        encodeTaskMessage(
          { id: 't2', task: 'proj.pay', args: [42], kwargs: { card: 'x' }, queue: 'payments', origin: 'gen7@py', parentId: 'p', timeLimit: 9 },
          'kombu-5.2',
        ),
      ),
    );
    if (!first.ok) throw new Error(first.reason);
    const eta = Date.parse('2026-06-01T10:00:00.250Z');
    const again = decodeTaskMessage(codec.encode({ ...first.message, retries: 1, eta }));
    expect(again).toMatchObject({
      protocol: 2,
      id: 't2',
      task: 'proj.pay',
      args: [42],
      kwargs: { card: 'x' },
      retries: 1,
      eta: new Date(eta),
      rootId: 't2',
      parentId: 'p',
      timeLimit: 9,
      routingKey: 'payments',
      origin: 'gen1@test',
      lang: 'ts',
    });
  });

  it('gives a reason, never an exception, for what it cannot read', () => {
    const reasonOf = (body: string): string => {
      const r = codec.decode(body);
      return r.ok ? 'decoded' : r.reason;
    };
    expect(reasonOf('{not json')).toMatch(/^malformed message: /);
    const twoElements = buildEnvelope({
      bodyText: '[[1], {}]',
      headers: { task: 'proj.add', id: 'x' },
      exchange: '',
      routingKey: 'celery',
      deliveryMode: 2,
    });
    expect(reasonOf(serializeEnvelope(twoElements))).toBe(
      'malformed message: body: has 2 element(s); protocol v2 needs exactly [args, kwargs, embed]',
    );
    const noTask = buildEnvelope({ bodyText: '[[], {}, null]', headers: { id: 'x' }, exchange: '', routingKey: 'celery', deliveryMode: 2 });
    expect(reasonOf(serializeEnvelope(noTask))).toMatch(/^malformed message: .*task/);
  });

  it('carries trace context as plain message headers both ways (where a Python worker and its OpenTelemetry instrumentation look)', () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const decoded = codec.decode(
      serializeEnvelope(
        encodeTaskMessage(
          { id: 't9', task: 'proj.add', queue: 'celery', origin: 'gen7@py', extraHeaders: { traceparent, tracestate: 'vendor=1', other: 'x' } },
          'kombu-5.2',
        ),
      ),
    );
    if (!decoded.ok) throw new Error(decoded.reason);
    expect(decoded.message.headers).toMatchObject({ traceparent, tracestate: 'vendor=1' });
    expect(decoded.message.headers.other).toBeUndefined();
    const retry = codec.encode({ ...decoded.message, retries: 1 });
    const envelope = JSON.parse(retry) as { headers: Record<string, unknown> };
    expect(envelope.headers).toMatchObject({ traceparent, tracestate: 'vendor=1', task: 'proj.add', id: 't9' });
    expect(envelope.headers.baggage).toBeUndefined();
  });
});
