import { describe, expect, it } from 'vitest';
import { CeleryWireError } from './celery-wire-error.js';
import {
  decodeControlReply,
  decodeControlRequest,
  encodeControlReply,
  encodeControlRequest,
  requestTargets,
} from './pidbox.js';

// PUBLISHed by Celery 5.2.6's app.control.ping(destination=['ex2@vm'], timeout=2) on /0.celery.pidbox …
const PING =
  '{"body": "eyJtZXRob2QiOiAicGluZyIsICJhcmd1bWVudHMiOiB7fSwgImRlc3RpbmF0aW9uIjogWyJleDJAdm0iXSwgInBhdHRlcm4iOiBudWxsLCAibWF0Y2hlciI6IG51bGwsICJ0aWNrZXQiOiAiNDZiNDBlZWUtMjJhNC00MjUzLTk0MmMtMTY5NmIwNDVlZTBhIiwgInJlcGx5X3RvIjogeyJleGNoYW5nZSI6ICJyZXBseS5jZWxlcnkucGlkYm94IiwgInJvdXRpbmdfa2V5IjogIjIxZDFmMzE5LTljNDQtM2QwZi1iZWI5LWQ5YWFlOTk1Nzc1ZiJ9fQ==", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"clock": 1, "expires": 1796483881.4457278}, "properties": {"delivery_mode": 2, "delivery_info": {"exchange": "celery.pidbox", "routing_key": ""}, "priority": 0, "body_encoding": "base64", "delivery_tag": "3e3d9b2e-1fc7-44e2-bb14-f9d8bb0d1a90"}}';
// … and the worker's reply, LPUSHed to the caller's reply queue.
const PONG =
  '{"body": "eyJleDNAdm0iOiB7Im9rIjogInBvbmcifX0=", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"ticket": "c7909666-23b9-4066-ba3c-0352be60d927", "clock": 3}, "properties": {"delivery_mode": 1, "delivery_info": {"exchange": "reply.celery.pidbox", "routing_key": "e42ab07d-d783-3514-809f-267af9f758bd"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "d76bc5fc-7bcc-4c12-9052-03721a76dbc6"}}';

describe('requests', () => {
  it("reads Celery's ping", () => {
    expect(decodeControlRequest(PING)).toEqual({
      method: 'ping',
      arguments: {},
      destination: ['ex2@vm'],
      pattern: null,
      matcher: null,
      ticket: '46b40eee-22a4-4253-942c-1696b045ee0a',
      replyTo: { exchange: 'reply.celery.pidbox', routingKey: '21d1f319-9c44-3d0f-beb9-d9aae995775f' },
      clock: 1,
      expires: 1796483881.4457278,
    });
  });

  it('writes what kombu writes and reads it back; fire-and-forget has no ticket and expires 0', () => {
    const envelope = encodeControlRequest({
      method: 'revoke',
      arguments: { task_id: ['t1'], terminate: false, signal: 'SIGTERM' },
      destination: ['w1@h'],
      ticket: 'tk',
      replyTo: { exchange: 'reply.celery.pidbox', routingKey: 'oid' },
      clock: 5,
      timeoutSeconds: 1,
      now: new Date(1_000_000),
    });
    expect(envelope.headers).toEqual({ clock: 5, expires: 1001 });
    expect(envelope.properties).toMatchObject({
      delivery_mode: 2,
      delivery_info: { exchange: 'celery.pidbox', routing_key: '' },
    });
    expect(decodeControlRequest(JSON.stringify(envelope))).toMatchObject({
      method: 'revoke',
      arguments: { task_id: ['t1'] },
      ticket: 'tk',
      replyTo: { routingKey: 'oid' },
    });
    const cast = decodeControlRequest(JSON.stringify(encodeControlRequest({ method: 'shutdown', clock: 1 })));
    expect(cast).toMatchObject({ ticket: undefined, replyTo: undefined, expires: 0, destination: null });
    expect(() => encodeControlRequest({ method: 'ping', clock: 1, ticket: 'only-a-ticket' })).toThrow(
      CeleryWireError,
    );
  });

  it.each([
    ['no method', { arguments: {} }, 'body.method'],
    ['arguments that are a list', { method: 'ping', arguments: [] }, 'body.arguments'],
    ['a destination that is a string', { method: 'ping', destination: 'w1@h' }, 'body.destination'],
    [
      'a reply_to without routing_key',
      { method: 'ping', ticket: 't', reply_to: { exchange: 'reply.celery.pidbox' } },
      'body.reply_to.routing_key',
    ],
  ])('refuses %s', (_name, body, path) => {
    const raw = JSON.parse(PING) as Record<string, unknown>;
    raw.body = Buffer.from(JSON.stringify(body)).toString('base64');
    expect(() => decodeControlRequest(JSON.stringify(raw))).toThrow(
      expect.objectContaining({ path }) as Error,
    );
  });

  it("selects nodes by kombu's rule: destination, else pattern with matcher, else everyone", () => {
    const base = { destination: null, pattern: null, matcher: null };
    expect(requestTargets(base, 'w1@h')).toBe(true);
    expect(requestTargets({ ...base, destination: ['w2@h'] }, 'w1@h')).toBe(false);
    expect(requestTargets({ ...base, destination: ['w1@h'] }, 'w1@h')).toBe(true);
    expect(requestTargets({ ...base, pattern: 'w*@h', matcher: 'glob' }, 'w1@h')).toBe(true);
    expect(requestTargets({ ...base, pattern: 'w?@x', matcher: 'glob' }, 'w1@h')).toBe(false);
    expect(requestTargets({ ...base, pattern: 'w[12]@h', matcher: 'glob' }, 'w1@h')).toBe(true);
    expect(requestTargets({ ...base, pattern: 'w\\d', matcher: 'pcre' }, 'w1@h')).toBe(true); // re.match: anchored at the start only
    expect(requestTargets({ ...base, pattern: '\\d', matcher: 'pcre' }, 'w1@h')).toBe(false);
    expect(requestTargets({ ...base, pattern: 'x*', matcher: null }, 'w1@h')).toBe(true); // kombu: a pattern needs a matcher
    expect(requestTargets({ ...base, pattern: 'w*', matcher: 'nope' }, 'w1@h')).toBe(false);
  });
});

describe('replies', () => {
  it("reads a Python worker's pong", () => {
    expect(decodeControlReply(PONG)).toEqual({
      ticket: 'c7909666-23b9-4066-ba3c-0352be60d927',
      clock: 3,
      replies: { 'ex3@vm': { ok: 'pong' } },
    });
  });

  it('writes a reply to the caller and reads it back', () => {
    const envelope = encodeControlReply({
      hostname: 'lovage@h',
      reply: { ok: 'pong' },
      ticket: 'tk',
      replyTo: { exchange: 'reply.celery.pidbox', routingKey: 'oid' },
      clock: 9,
    });
    expect(envelope.properties).toMatchObject({
      delivery_mode: 1,
      delivery_info: { exchange: 'reply.celery.pidbox', routing_key: 'oid' },
    });
    expect(decodeControlReply(JSON.stringify(envelope))).toEqual({
      ticket: 'tk',
      clock: 9,
      replies: { 'lovage@h': { ok: 'pong' } },
    });
  });

  it('refuses a reply without a node', () => {
    const raw = JSON.parse(PONG) as Record<string, unknown>;
    raw.body = Buffer.from('{}').toString('base64');
    expect(() => decodeControlReply(JSON.stringify(raw))).toThrow(/^body: /);
  });
});
