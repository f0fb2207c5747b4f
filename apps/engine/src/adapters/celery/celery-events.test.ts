import { describe, expect, it } from 'vitest';
import { CeleryWireError } from './celery-wire-error.js';
import {
  celeryEvent,
  type CeleryEventBase,
  decodeEventMessage,
  eventEnvelopeText,
  eventRoutingKey,
  isCeleryEvent,
  localUtcOffsetHours,
} from './celery-events.js';
import { buildEnvelope, readEnvelope, serializeEnvelope, type KombuEnvelope } from './kombu-envelope.js';
import { DEFAULT_EVENT_EXCHANGE } from './kombu-layout.js';

// PUBLISHed by a Celery 5.2.6 worker (-E, solo pool) on /0.celeryev/task.multi: task-received, -started, -succeeded for peer.add(2, 3).
const TASK_MULTI =
  '{"body": "W3siaG9zdG5hbWUiOiAiZXgyQHZtIiwgInV0Y29mZnNldCI6IDAsICJwaWQiOiAxNDUwNCwgImNsb2NrIjogMywgInV1aWQiOiAiZDA4OWFlMjYtNjVhMy00MjBlLWE5MjQtZjBlZTU2OGFlNmYyIiwgIm5hbWUiOiAicGVlci5hZGQiLCAiYXJncyI6ICJbMiwgM10iLCAia3dhcmdzIjogInt9IiwgInJvb3RfaWQiOiAiZDA4OWFlMjYtNjVhMy00MjBlLWE5MjQtZjBlZTU2OGFlNmYyIiwgInBhcmVudF9pZCI6IG51bGwsICJyZXRyaWVzIjogMCwgImV0YSI6IG51bGwsICJleHBpcmVzIjogbnVsbCwgInRpbWVzdGFtcCI6IDE3OTY0ODM4NzkuNTYyNjE3MywgInR5cGUiOiAidGFzay1yZWNlaXZlZCJ9LCB7Imhvc3RuYW1lIjogImV4MkB2bSIsICJ1dGNvZmZzZXQiOiAwLCAicGlkIjogMTQ1MDQsICJjbG9jayI6IDQsICJ1dWlkIjogImQwODlhZTI2LTY1YTMtNDIwZS1hOTI0LWYwZWU1NjhhZTZmMiIsICJ0aW1lc3RhbXAiOiAxNzk2NDgzODc5LjU2MjczNDQsICJ0eXBlIjogInRhc2stc3RhcnRlZCJ9LCB7Imhvc3RuYW1lIjogImV4MkB2bSIsICJ1dGNvZmZzZXQiOiAwLCAicGlkIjogMTQ1MDQsICJjbG9jayI6IDUsICJ1dWlkIjogImQwODlhZTI2LTY1YTMtNDIwZS1hOTI0LWYwZWU1NjhhZTZmMiIsICJyZXN1bHQiOiAiNSIsICJydW50aW1lIjogMC4wMDQxNzgxNDg5OTk5MjY2MzQsICJ0aW1lc3RhbXAiOiAxNzk2NDgzODc5LjU2NzE0NTgsICJ0eXBlIjogInRhc2stc3VjY2VlZGVkIn1d", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"hostname": "ex2@vm"}, "properties": {"delivery_mode": 1, "delivery_info": {"exchange": "celeryev", "routing_key": "task.multi"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "bf082abb-427a-4fa3-95c2-765b0de0fc76"}}';
// …and on /0.celeryev/worker.online.
const WORKER_ONLINE =
  '{"body": "eyJob3N0bmFtZSI6ICJleDJAdm0iLCAidXRjb2Zmc2V0IjogMCwgInBpZCI6IDE0NTA0LCAiY2xvY2siOiAxLCAiZnJlcSI6IDIuMCwgImFjdGl2ZSI6IDAsICJwcm9jZXNzZWQiOiAwLCAibG9hZGF2ZyI6IFsxMy4wNCwgOC4yOSwgMy43Nl0sICJzd19pZGVudCI6ICJweS1jZWxlcnkiLCAic3dfdmVyIjogIjUuMi42IiwgInN3X3N5cyI6ICJMaW51eCIsICJ0aW1lc3RhbXAiOiAxNzk2NDgzODc4LjMxNjg5NDgsICJ0eXBlIjogIndvcmtlci1vbmxpbmUifQ==", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"hostname": "ex2@vm"}, "properties": {"delivery_mode": 1, "delivery_info": {"exchange": "celeryev", "routing_key": "worker.online"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "45cb2b49-5df5-4f55-8e0d-1dcae1d2a448"}}';

const envelopeOf = (body: unknown): string =>
  JSON.stringify({
    body: Buffer.from(JSON.stringify(body)).toString('base64'),
    'content-encoding': 'utf-8',
    'content-type': 'application/json',
    headers: { hostname: 'w@h' },
    properties: {
      delivery_mode: 1,
      delivery_info: { exchange: 'celeryev', routing_key: 'x' },
      priority: 0,
      body_encoding: 'base64',
      delivery_tag: 't',
    },
  });

describe('decoding', () => {
  it('reads a task.multi batch as its events, in order, with the fields Celery sends', () => {
    const events = decodeEventMessage(TASK_MULTI);
    expect(events.map((e) => e.type)).toEqual(['task-received', 'task-started', 'task-succeeded']);
    const [received, , succeeded] = events;
    expect(received).toMatchObject({
      hostname: 'ex2@vm',
      utcoffset: 0,
      pid: 14504,
      clock: 3,
      uuid: 'd089ae26-65a3-420e-a924-f0ee568ae6f2',
      name: 'peer.add',
      args: '[2, 3]',
      kwargs: '{}',
      retries: 0,
      eta: null,
    });
    if (succeeded === undefined || !isCeleryEvent(succeeded, 'task-succeeded'))
      throw new Error('expected task-succeeded');
    expect(succeeded.result).toBe('5');
    expect(succeeded.runtime).toBeGreaterThan(0);
  });

  it('reads a single worker event', () => {
    const [online] = decodeEventMessage(WORKER_ONLINE);
    expect(online).toMatchObject({
      type: 'worker-online',
      freq: 2,
      active: 0,
      processed: 0,
      sw_ident: 'py-celery',
      sw_ver: '5.2.6',
      sw_sys: 'Linux',
    });
    expect(online?.loadavg).toHaveLength(3);
  });

  it.each([
    ['an event without type', { hostname: 'w', timestamp: 1 }, 'body.type'],
    ['an event without hostname', { type: 'worker-online', timestamp: 1 }, 'body.hostname'],
    ['an event without timestamp', { type: 'worker-online', hostname: 'w' }, 'body.timestamp'],
    ['a task event without uuid', { type: 'task-started', hostname: 'w', timestamp: 1 }, 'body.uuid'],
    [
      'a batch holding a non-object',
      [{ type: 'task-started', hostname: 'w', timestamp: 1, uuid: 'u' }, 7],
      'body[1]',
    ],
    ['a body that is a number', 3, 'body'],
  ])('refuses %s, naming the field', (_name, body, path) => {
    let caught: unknown;
    try {
      decodeEventMessage(envelopeOf(body));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CeleryWireError);
    expect((caught as CeleryWireError).path).toBe(path);
  });
});

describe('encoding', () => {
  const sender = { hostname: 'lovage-1@host', pid: 42, clock: 7, utcoffset: 0 };

  it("builds events with Celery's standard fields in Celery's order", () => {
    const event = celeryEvent(
      'task-succeeded',
      { uuid: 'u1', result: "'ok'", runtime: 0.5 },
      sender,
      1796483879.5,
    );
    expect(Object.keys(event)).toEqual([
      'hostname',
      'utcoffset',
      'pid',
      'clock',
      'uuid',
      'result',
      'runtime',
      'timestamp',
      'type',
    ]);
    expect(event).toMatchObject({
      type: 'task-succeeded',
      hostname: 'lovage-1@host',
      timestamp: 1796483879.5,
    });
  });

  it('routes single events by type and batches as <group>.multi, and decodes back', () => {
    const started = celeryEvent('task-started', { uuid: 'u1' }, sender);
    const heartbeat = celeryEvent(
      'worker-heartbeat',
      {
        freq: 2,
        active: 0,
        processed: 3,
        loadavg: [0.1, 0.2, 0.3],
        sw_ident: 'lovage',
        sw_ver: '0.1.0',
        sw_sys: 'Linux',
      },
      sender,
    );
    // A message as the celeryev mirror sends it: the routing key, and the envelope around the body's JSON.
    const message = (events: CeleryEventBase | CeleryEventBase[]) => {
      const routingKey = eventRoutingKey(events);
      return { routingKey, envelope: JSON.parse(eventEnvelopeText(JSON.stringify(events), sender.hostname, DEFAULT_EVENT_EXCHANGE, routingKey)) as KombuEnvelope };
    };
    expect(eventRoutingKey(heartbeat)).toBe('worker.heartbeat');
    const single = message(heartbeat);
    expect(single.routingKey).toBe('worker.heartbeat');
    expect(single.envelope.headers).toEqual({ hostname: 'lovage-1@host' });
    expect(single.envelope.properties).toMatchObject({
      delivery_mode: 1,
      delivery_info: { exchange: 'celeryev', routing_key: 'worker.heartbeat' },
    });
    const rejected = celeryEvent('task-rejected', { uuid: 'u1', requeue: false }, { ...sender, clock: 8 });
    const batch = message([started, rejected]);
    expect(batch.routingKey).toBe('task.multi');
    expect(decodeEventMessage(JSON.stringify(batch.envelope))).toEqual([started, rejected]);
    expect(readEnvelope(JSON.stringify(single.envelope)).body).toEqual(heartbeat);
  });

  it('computes utcoffset as Python does: hours west of UTC, floor-divided', () => {
    const at = new Date('2026-01-15T12:00:00Z');
    expect(localUtcOffsetHours(at)).toBe(Math.floor(at.getTimezoneOffset() / 60));
  });
});

describe('event envelope text', () => {
  it('is the serialized envelope buildEnvelope makes, escapes included', () => {
    const hostname = 'lovage "1"@host';
    const body = JSON.stringify([celeryEvent('task-succeeded', { uuid: 'u1', result: "'é \"quoted\"'", runtime: 0.5 }, { hostname, pid: 1, clock: 2 })]);
    const built = buildEnvelope({ bodyText: body, headers: { hostname }, exchange: 'celeryev', routingKey: 'task.multi', deliveryMode: 1, deliveryTag: 'tag-1' });
    expect(eventEnvelopeText(body, hostname, 'celeryev', 'task.multi', 'tag-1')).toBe(serializeEnvelope(built));
    expect(decodeEventMessage(eventEnvelopeText(body, hostname, 'celeryev', 'task.multi'))).toEqual(JSON.parse(body));
  });
});
