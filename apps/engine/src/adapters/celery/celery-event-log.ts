// The event log port in Celery's mode: Lovage's own stream stays the log (the
// gateway reads it, resumes from it, and it survives a reader's restart), and
// every appended batch is also sent on `celeryev` (a Redis PUBLISH, or a RabbitMQ topic exchange) in Celery's event format,
// so `celery events`, Flower and Python's `app.events.State` see Lovage workers
// and their tasks. Task events go out as one `task.multi` list per sender and
// flush, as a Celery worker batches them; worker events one by one.
//
// The mirror is best effort, like Celery's own events (pub/sub keeps nothing
// for a receiver that is away): a failed PUBLISH is logged and never fails the
// append, which already reached the stream.
import type { Redis } from 'ioredis';
import type { Logger } from '../../app/logger.js';
import type { EventLog, ReadGroupOptions, StreamEntry } from '../../events/event-log.js';
import type { LovageEvent } from '../../events/events.js';
import type { KombuLayout } from './kombu-layout.js';
import { celeryEventText, eventEnvelopeText, eventRoutingKey, localUtcOffsetHours, type CeleryEventFields, type CeleryEventType, type EventSender } from './celery-events.js';
import { pythonReprOfPreview } from './python-repr.js';

const isoOrNull = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** Python's repr() of a str, which Celery's events carry where an exception is described. */
function pythonStr(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** Python's platform.system() for this process's platform. */
function systemName(): string {
  const names: Record<string, string> = { linux: 'Linux', darwin: 'Darwin', win32: 'Windows' };
  return names[process.platform] ?? process.platform;
}

/** A task event's canvas links in Celery's names. */
function links(event: { rootId?: string | undefined; parentId?: string | undefined }): { root_id: string | null; parent_id: string | null } {
  return { root_id: event.rootId ?? null, parent_id: event.parentId ?? null };
}

/** A Lovage event's Celery type and fields, or undefined for one Celery has no counterpart of (beat's). */
export function celeryFieldsOf(event: LovageEvent): { type: CeleryEventType; fields: CeleryEventFields[CeleryEventType] } | undefined {
  switch (event.type) {
    case 'task-sent':
      return {
        type: event.type,
        fields: {
          uuid: event.id,
          ...links(event),
          name: event.name,
          args: pythonReprOfPreview(event.args),
          kwargs: '{}',
          retries: event.retries,
          eta: isoOrNull(event.eta),
          expires: isoOrNull(event.expires),
          queue: event.queue,
          exchange: '',
          routing_key: event.queue,
        },
      };
    case 'task-received':
      return {
        type: event.type,
        fields: { uuid: event.id, name: event.name, args: pythonReprOfPreview(event.args), kwargs: '{}', ...links(event), retries: event.retries, eta: isoOrNull(event.eta), expires: isoOrNull(event.expires) },
      };
    case 'task-started':
      return { type: event.type, fields: { uuid: event.id } };
    case 'task-succeeded':
      return { type: event.type, fields: { uuid: event.id, result: pythonReprOfPreview(event.result), runtime: event.runtime / 1000 } };
    case 'task-failed':
      return {
        type: event.type,
        fields: { uuid: event.id, exception: `${event.error.name}(${pythonStr(event.error.message)})`, traceback: event.error.stack ?? '' },
      };
    case 'task-retried':
      return {
        type: event.type,
        fields: { uuid: event.id, exception: `${event.error.name}(${pythonStr(event.error.message)})`, traceback: event.error.stack ?? '' },
      };
    case 'task-revoked':
      return { type: event.type, fields: { uuid: event.id, terminated: event.terminated, signum: event.terminated ? 'SIGTERM' : null, expired: event.expired } };
    case 'task-rejected':
      return { type: event.type, fields: { uuid: event.id, requeue: false } };
    case 'worker-online':
    case 'worker-heartbeat':
    case 'worker-offline':
      return {
        type: event.type,
        fields: {
          freq: event.heartbeatInterval / 1000,
          active: event.active,
          processed: event.processed,
          loadavg: event.loadavg.map((load) => Math.round(load * 100) / 100),
          sw_ident: 'lovage',
          sw_ver: event.software.version,
          sw_sys: systemName(),
        },
      };
    default:
      return undefined;
  }
}

/** One message for `celeryev`: a single event, or a `task.multi` list, as its JSON body text. */
export interface CeleryEventMessage {
  routingKey: string;
  /** The sender, written into the envelope's headers. */
  hostname: string;
  bodyText: string;
}

/** Where Celery's events go out: the transport's `celeryev` (Redis pub/sub, or a RabbitMQ topic exchange). */
export interface CeleryEventSink {
  send(messages: CeleryEventMessage[]): Promise<void>;
}

/** kombu's Redis transport: one PUBLISH per message on the exchange's channel, in one round trip. */
export class RedisEventSink implements CeleryEventSink {
  constructor(
    private readonly client: Redis,
    private readonly layout: KombuLayout,
  ) {}

  async send(messages: CeleryEventMessage[]): Promise<void> {
    const pipeline = this.client.pipeline();
    for (const m of messages) {
      pipeline.publish(this.layout.eventChannel(m.routingKey), eventEnvelopeText(m.bodyText, m.hostname, this.layout.eventExchange, m.routingKey));
    }
    await pipeline.exec();
  }
}

export class CeleryEventLog implements EventLog {
  private clock = 0;

  constructor(
    private readonly own: EventLog,
    private readonly sink: CeleryEventSink,
    private readonly logger: Logger,
  ) {}

  async append(entries: string[], maxLen: number, maxBytes?: number): Promise<void> {
    await this.own.append(entries, maxLen, maxBytes);
    try {
      await this.mirror(entries);
    } catch (err) {
      this.logger.warn({ err }, 'sending events on celeryev failed (the event stream has them)');
    }
  }

  /** PUBLISHes one flush's events in one round trip: a task.multi list per sender, each worker event alone. */
  private async mirror(entries: string[]): Promise<void> {
    // Each sender's task events, as JSON texts, for its task.multi list.
    const taskEvents = new Map<string, string[]>();
    const messages: CeleryEventMessage[] = [];
    // Read once per flush rather than once per event (it builds a Date).
    const utcoffset = localUtcOffsetHours();
    for (const entry of entries) {
      for (const event of JSON.parse(entry) as LovageEvent[]) {
        const mapped = celeryFieldsOf(event);
        if (!mapped) continue;
        const sender: EventSender = { hostname: event.hostname, pid: event.pid, clock: ++this.clock, utcoffset };
        const text = celeryEventText(mapped.type, mapped.fields, sender, event.timestamp / 1000);
        if (mapped.type.startsWith('task-')) {
          const list = taskEvents.get(event.hostname);
          if (list) list.push(text);
          else taskEvents.set(event.hostname, [text]);
        } else {
          messages.push({ routingKey: eventRoutingKey({ type: mapped.type }), hostname: event.hostname, bodyText: text });
        }
      }
    }
    for (const [hostname, list] of taskEvents) {
      messages.push({ routingKey: 'task.multi', hostname, bodyText: `[${list.join(',')}]` });
    }
    if (messages.length === 0) return;
    await this.sink.send(messages);
  }

  read(options: ReadGroupOptions): Promise<StreamEntry[]> {
    return this.own.read(options);
  }

  ack(group: string, ids: string[]): Promise<void> {
    return this.own.ack(group, ids);
  }

  tail(afterId: string, count: number, blockMs: number): Promise<StreamEntry[]> {
    return this.own.tail(afterId, count, blockMs);
  }

  lastId(): Promise<string> {
    return this.own.lastId();
  }
}
