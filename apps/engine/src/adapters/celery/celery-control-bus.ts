// The control bus port in Celery's mode: remote control over kombu's pidbox, so
// `celery inspect` / `celery control` reach Lovage workers and `app.control`
// (the CLI, the gateway) reaches Python ones. The wire codec is pidbox.ts; this
// file routes and translates:
//
//   Lovage request  →  pidbox request   (publish: the command and its
//                                        arguments in Celery's names and units)
//   pidbox request  →  Lovage request   (subscribe: what the worker's control
//                                        panel answers)
//   panel's reply   →  pidbox reply     (sendReply: routed through the reply
//                                        exchange's bindings, as kombu does)
//   pidbox replies  →  Lovage replies   (collectReplies)
//
// Messages that are not remote control (beat's schedule-change notices) stay
// on Lovage's own bus: Celery workers would log them as unknown commands.
// A request whose reply routing Lovage made itself carries the method it asked
// for, so each reply is translated back by the command it answers.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ControlBus, ControlMessage, ControlReplyEnvelope } from '../../control/control-bus.js';
import type { ControlCommand, ControlRequest, InspectWhat, RevokeMessage, TaskInfo } from '../../control/control.js';
import type { Logger } from '../../app/logger.js';
import { ConfigError } from '../../errors.js';
import { serializeEnvelope, type KombuEnvelope } from './kombu-envelope.js';
import type { KombuLayout } from './kombu-layout.js';
import { decodeControlReply, decodeControlRequest, encodeControlReply, encodeControlRequest, type PidboxReplyTo } from './pidbox.js';
import { isRecord, type WireRecord } from './wire-shape.js';

/** Celery's inspect methods and the Lovage names they stand for. */
const INSPECT_BY_METHOD: Readonly<Record<string, InspectWhat>> = {
  active: 'active',
  reserved: 'reserved',
  scheduled: 'scheduled',
  revoked: 'revoked',
  registered: 'registered',
  stats: 'stats',
  conf: 'conf',
  active_queues: 'activeQueues',
};
const METHOD_BY_INSPECT = Object.fromEntries(Object.entries(INSPECT_BY_METHOD).map(([method, what]) => [what, method])) as Record<InspectWhat, string>;

/** Control commands whose Celery method is the same word in snake_case. */
const METHOD_BY_COMMAND: Readonly<Record<Exclude<ControlCommand, 'inspect'>, string>> = {
  ping: 'ping',
  revoke: 'revoke',
  rateLimit: 'rate_limit',
  timeLimit: 'time_limit',
  poolGrow: 'pool_grow',
  poolShrink: 'pool_shrink',
  addConsumer: 'add_consumer',
  cancelConsumer: 'cancel_consumer',
  shutdown: 'shutdown',
};
const COMMAND_BY_METHOD = Object.fromEntries(Object.entries(METHOD_BY_COMMAND).map(([command, method]) => [method, command])) as Record<string, ControlCommand>;

/** Where a worker's reply goes, kept in the request's `replyTo` string between subscribe and sendReply. */
interface ReplyRoute {
  method: string;
  ticket: string;
  exchange: string;
  routingKey: string;
}
const ROUTE_PREFIX = 'celery-pidbox:';

/** A request this process sent and is collecting replies for. */
interface PendingCall {
  method: string;
  ticket: string;
  /** True for a broadcast: Python workers are not in Lovage's registry, so the caller's expected count is ignored. */
  broadcast: boolean;
}

const seconds = (ms: unknown): number | null => (typeof ms === 'number' && ms > 0 ? ms / 1000 : null);
const milliseconds = (s: unknown): number | null => (typeof s === 'number' && s > 0 ? s * 1000 : null);

/** A Lovage request's method and arguments as Celery names them. */
export function toCeleryRequest(request: ControlRequest): { method: string; arguments: WireRecord } {
  const a = request.arguments;
  switch (request.command) {
    case 'inspect':
      return { method: METHOD_BY_INSPECT[a.what as InspectWhat] ?? String(a.what), arguments: {} };
    case 'revoke':
      return { method: 'revoke', arguments: { task_id: a.ids ?? [], terminate: a.terminate === true, signal: 'SIGTERM' } };
    case 'rateLimit':
      return { method: 'rate_limit', arguments: { task_name: a.task ?? null, rate_limit: a.rate ?? null } };
    case 'timeLimit':
      return { method: 'time_limit', arguments: { task_name: a.task ?? null, soft: seconds(a.soft), hard: seconds(a.hard) } };
    case 'addConsumer':
      return { method: 'add_consumer', arguments: { queue: a.queue ?? null } };
    case 'cancelConsumer':
      return { method: 'cancel_consumer', arguments: { queue: a.queue ?? null } };
    default:
      return { method: METHOD_BY_COMMAND[request.command], arguments: 'n' in a ? { n: a.n } : {} };
  }
}

/** A pidbox method and its arguments as the worker's control panel takes them; undefined for a method Lovage does not serve. */
export function fromCeleryRequest(method: string, a: WireRecord): { command: ControlCommand; arguments: Record<string, unknown> } | undefined {
  const what = INSPECT_BY_METHOD[method];
  if (what) return { command: 'inspect', arguments: { what } };
  const command = COMMAND_BY_METHOD[method];
  switch (command) {
    case undefined:
      return undefined;
    case 'revoke': {
      const ids = Array.isArray(a.task_id) ? a.task_id : typeof a.task_id === 'string' ? [a.task_id] : [];
      return { command, arguments: { ids, terminate: a.terminate === true } };
    }
    case 'rateLimit':
      return { command, arguments: { task: a.task_name, rate: a.rate_limit ?? null } };
    case 'timeLimit':
      return { command, arguments: { task: a.task_name, soft: milliseconds(a.soft), hard: milliseconds(a.hard) } };
    case 'addConsumer':
    case 'cancelConsumer':
      return { command, arguments: { queue: a.queue } };
    default:
      return { command, arguments: a.n === undefined ? {} : { n: a.n } };
  }
}

/** A task a Lovage worker holds, as `celery inspect active` lists one (celery/worker/request.py info()). */
function celeryTaskInfo(task: TaskInfo): WireRecord {
  return {
    id: task.id,
    name: task.name,
    args: task.args,
    kwargs: {},
    type: task.name,
    hostname: task.hostname,
    time_start: task.startedAt === null ? null : task.startedAt / 1000,
    acknowledged: task.startedAt !== null,
    delivery_info: { exchange: '', routing_key: task.queue, priority: 0, redelivered: task.deliveries > 1 },
    worker_pid: null,
  };
}

/** A task a Celery worker holds, as Lovage's inspect lists one. */
function lovageTaskInfo(task: unknown, hostname: string): TaskInfo {
  const t = isRecord(task) ? task : {};
  // `scheduled` nests the request under `request`, with the eta beside it.
  const request = isRecord(t.request) ? t.request : t;
  const delivery = isRecord(request.delivery_info) ? request.delivery_info : {};
  const text = (value: unknown, fallback: string): string => (typeof value === 'string' ? value : fallback);
  const eta = typeof t.eta === 'string' ? Date.parse(t.eta) : undefined;
  return {
    id: text(request.id, ''),
    name: text(request.name, text(request.type, '')),
    args: typeof request.args === 'string' ? request.args : JSON.stringify(request.args ?? []),
    queue: text(delivery.routing_key, ''),
    hostname: text(request.hostname, hostname),
    retries: 0,
    deliveries: delivery.redelivered === true ? 2 : 1,
    startedAt: typeof request.time_start === 'number' ? Math.round(request.time_start * 1000) : null,
    eta: eta !== undefined && Number.isFinite(eta) ? eta : undefined,
  };
}

/** A Lovage panel's reply in the shape Celery's tools print for `method`. */
export function toCeleryReply(method: string, reply: unknown): unknown {
  switch (method) {
    case 'active':
    case 'reserved':
    case 'scheduled':
      return Array.isArray(reply) ? reply.map((task) => celeryTaskInfo(task as TaskInfo)) : reply;
    case 'active_queues':
      return Array.isArray(reply)
        ? reply.map((queue) => {
            const name = isRecord(queue) ? String(queue.name) : String(queue);
            return { name, exchange: { name, type: 'direct' }, routing_key: name, durable: true, exclusive: false, auto_delete: false, no_ack: false };
          })
        : reply;
    case 'stats': {
      if (!isRecord(reply)) return reply;
      const pool = isRecord(reply.pool) ? reply.pool : {};
      return {
        ...reply,
        pid: reply.pid,
        total: reply.total ?? {},
        prefetch_count: reply.prefetch,
        pool: { 'max-concurrency': pool.size, implementation: `lovage:${String(pool.kind)}` },
      };
    }
    default:
      return reply;
  }
}

/** Which pool a Celery worker runs, told by the fields its pool's info has (celery/concurrency/*.py _get_info). */
function celeryPoolKind(pool: WireRecord): string {
  if ('writes' in pool) return 'prefork';
  if ('threads' in pool) return 'threads';
  if ('free-threads' in pool) return 'greenlets';
  return 'solo';
}

/** A Celery worker's `inspect stats` as Lovage's WorkerStats names the same figures (the rest kept as sent). */
function lovageStats(stats: WireRecord, hostname: string): Record<string, unknown> {
  const pool = isRecord(stats.pool) ? stats.pool : {};
  const total = isRecord(stats.total) ? stats.total : {};
  const rusage = isRecord(stats.rusage) ? stats.rusage : {};
  const processed = Object.values(total).reduce<number>((sum, n) => sum + (typeof n === 'number' ? n : 0), 0);
  return {
    ...stats,
    hostname,
    software: { name: 'celery', version: '' },
    pool: { kind: celeryPoolKind(pool), size: pool['max-concurrency'] },
    celeryPool: pool,
    prefetch: stats.prefetch_count,
    processed,
    // ru_maxrss is in kilobytes on Linux.
    rss: typeof rusage.maxrss === 'number' ? rusage.maxrss * 1024 : 0,
  };
}

/** A Celery worker's reply to `method` in the shape Lovage's inspect and control return. */
export function fromCeleryReply(method: string, reply: unknown, hostname: string): unknown {
  switch (method) {
    case 'stats':
      return isRecord(reply) ? lovageStats(reply, hostname) : reply;
    case 'active':
    case 'reserved':
    case 'scheduled':
      return Array.isArray(reply) ? reply.map((task) => lovageTaskInfo(task, hostname)) : reply;
    case 'active_queues':
      return Array.isArray(reply) ? reply.map((queue) => ({ name: isRecord(queue) ? String(queue.name) : String(queue) })) : reply;
    default:
      return reply;
  }
}

/**
 * How pidbox messages travel on one transport: kombu's Redis layout (PUBLISH,
 * bindings in sets, LPUSH and BRPOP) or RabbitMQ's exchanges and queues.
 * Messages are kombu envelopes (text on the way in).
 */
export interface PidboxTransport {
  readonly pidboxExchange: string;
  readonly replyExchange: string;
  /** Makes the reply queue of caller `oid` (bound under `oid` to the reply exchange) before the request goes out. */
  bindReplies(oid: string): Promise<void>;
  /** Undoes bindReplies when the request could not be sent. */
  unbindReplies(oid: string): Promise<void>;
  /**
   * Hands each reply that reaches `oid`'s queue to `onReply` until it returns
   * true (enough replies) or `deadline` (epoch ms) passes, then unbinds and
   * deletes the queue.
   */
  readReplies(oid: string, deadline: number, onReply: (raw: string) => boolean): Promise<void>;
  /** Sends a request on the pidbox fanout exchange. */
  publishRequest(envelope: KombuEnvelope): Promise<void>;
  /** Starts handing every request on the pidbox exchange to `onRequest` (once per transport). */
  subscribeRequests(onRequest: (raw: string) => void): Promise<void>;
  /** Routes a reply through the reply exchange under `routingKey`. */
  sendReply(routingKey: string, envelope: KombuEnvelope): Promise<void>;
  close(): void;
}

/** Pidbox on kombu's Redis layout. */
export class RedisPidboxTransport implements PidboxTransport {
  readonly pidboxExchange: string;
  readonly replyExchange: string;
  private subscriber: Redis | undefined;

  /**
   * @param client commands (PUBLISH, SADD, LPUSH)
   * @param connect opens a connection of its own (SUBSCRIBE and BRPOP block theirs)
   */
  constructor(
    private readonly client: Redis,
    private readonly connect: () => Redis,
    private readonly layout: KombuLayout,
  ) {
    this.pidboxExchange = layout.pidboxExchange;
    this.replyExchange = layout.replyExchange;
  }

  async bindReplies(oid: string): Promise<void> {
    const binding = this.layout.replyBinding(oid);
    await this.client.sadd(binding.key, binding.member);
  }

  async unbindReplies(oid: string): Promise<void> {
    const binding = this.layout.replyBinding(oid);
    await this.client.srem(binding.key, binding.member);
  }

  async readReplies(oid: string, deadline: number, onReply: (raw: string) => boolean): Promise<void> {
    const keys = this.layout.queueKeys(this.layout.replyQueue(oid));
    const blocking = this.connect();
    try {
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        const popped = await blocking.brpop(...keys, Math.max(0.01, left / 1000));
        if (!popped || onReply(popped[1])) break;
      }
    } finally {
      blocking.disconnect();
      await this.unbindReplies(oid);
      await this.client.del(...keys);
    }
  }

  async publishRequest(envelope: KombuEnvelope): Promise<void> {
    await this.client.publish(this.layout.pidboxChannel, serializeEnvelope(envelope));
  }

  async subscribeRequests(onRequest: (raw: string) => void): Promise<void> {
    if (this.subscriber) return;
    const sub = this.connect();
    this.subscriber = sub;
    sub.on('message', (_channel: string, raw: string) => onRequest(raw));
    await sub.subscribe(this.layout.pidboxChannel);
  }

  async sendReply(routingKey: string, envelope: KombuEnvelope): Promise<void> {
    // The direct exchange's routing, as kombu's Redis transport does it: every queue bound under the key.
    const members = await this.client.smembers(this.layout.bindingKey(this.replyExchange));
    const queues = members.map((member) => this.layout.parseBindingMember(member)).filter((b) => b.routingKey === routingKey);
    const body = serializeEnvelope(envelope);
    await Promise.all(queues.map((binding) => this.client.lpush(this.layout.queueKey(binding.queue), body)));
  }

  close(): void {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }
}

export class CeleryControlBus implements ControlBus {
  private readonly listeners = new Set<(m: ControlMessage) => void>();
  private readonly pending = new Map<string, PendingCall>();
  private clock = 0;

  /**
   * @param transport how pidbox messages travel (Redis or RabbitMQ)
   * @param own Lovage's own bus, for messages that are not remote control; null for a
   *   monitor that only calls Celery workers (`call`)
   */
  constructor(
    private readonly transport: PidboxTransport,
    private readonly ownBus: ControlBus | null,
    private readonly logger: Logger,
  ) {}

  private get own(): ControlBus {
    if (!this.ownBus) throw new ConfigError('this pidbox client was made without a Lovage control bus: it carries only Celery remote control');
    return this.ownBus;
  }

  /**
   * Calls a pidbox method by its Celery name (`stats`, `pool_grow`, `autoscale`…)
   * and returns each node's reply as Celery sent it. A broadcast (destination
   * null) collects until `timeoutMs`; a call naming nodes stops once each answered.
   */
  async call(
    method: string,
    args: WireRecord,
    options: { destination: string[] | null; timeoutMs: number },
  ): Promise<Record<string, unknown>> {
    const oid = randomUUID();
    const ticket = randomUUID();
    await this.transport.bindReplies(oid);
    try {
      await this.publishRequest({ method, arguments: args }, options.destination, { ticket, replyTo: { exchange: this.transport.replyExchange, routingKey: oid } });
    } catch (err) {
      await this.transport.unbindReplies(oid).catch(() => undefined);
      throw err;
    }
    const wanted = options.destination === null ? undefined : options.destination.length;
    const replies: Record<string, unknown> = {};
    for (const [hostname, value] of await this.popReplies(oid, ticket, options.timeoutMs, wanted)) replies[hostname] = value;
    return replies;
  }

  close(): void {
    this.transport.close();
  }

  async publish(message: ControlMessage): Promise<void> {
    if (message.type === 'revoke') {
      // Control.revoke's broadcast: a fire-and-forget pidbox revoke, as `celery control revoke` without a reply.
      const revoke = message as RevokeMessage;
      await this.publishRequest({ method: 'revoke', arguments: { task_id: revoke.ids, terminate: revoke.terminate, signal: 'SIGTERM' } }, null);
      return;
    }
    if (message.type !== 'control') {
      await this.own.publish(message);
      return;
    }
    const request = message as ControlRequest;
    const celery = toCeleryRequest(request);
    if (!request.replyTo) {
      await this.publishRequest(celery, request.destination);
      return;
    }
    // kombu routes a reply through the reply exchange's bindings: bind before asking.
    const oid = request.replyTo;
    const ticket = randomUUID();
    await this.transport.bindReplies(oid);
    this.pending.set(oid, { method: celery.method, ticket, broadcast: request.destination === null });
    await this.publishRequest(celery, request.destination, { ticket, replyTo: { exchange: this.transport.replyExchange, routingKey: oid } });
  }

  private async publishRequest(
    request: { method: string; arguments: WireRecord },
    destination: string[] | null,
    reply?: { ticket: string; replyTo: PidboxReplyTo },
  ): Promise<void> {
    const envelope = encodeControlRequest({
      ...request,
      destination,
      ...(reply ?? {}),
      clock: ++this.clock,
      exchange: this.transport.pidboxExchange,
      timeoutSeconds: reply ? 60 : 0,
    });
    await this.transport.publishRequest(envelope);
  }

  async subscribe(listener: (message: ControlMessage) => void): Promise<() => Promise<void>> {
    const stopOwn = await this.own.subscribe(listener);
    await this.transport.subscribeRequests((raw) => this.receive(raw));
    this.listeners.add(listener);
    return async () => {
      this.listeners.delete(listener);
      await stopOwn();
    };
  }

  /** One pidbox request, handed to the listeners as the Lovage request it means. */
  private receive(raw: string): void {
    let request;
    try {
      request = decodeControlRequest(raw);
    } catch (err) {
      this.logger.warn({ err }, 'ignored a malformed pidbox request');
      return;
    }
    this.clock = Math.max(this.clock, request.clock) + 1;
    // A request whose caller stopped listening is stale (kombu drops it too).
    if (request.expires !== 0 && request.expires * 1000 < Date.now()) return;
    const lovage = fromCeleryRequest(request.method, request.arguments);
    // A method Lovage does not serve gets no reply: the caller's timeout says "no answer", as for an absent node.
    if (!lovage) return;
    // The panel answers a named destination; a pattern (rare) reaches every Lovage worker.
    const destination = request.destination !== null && request.destination.length > 0 ? request.destination : null;
    const message: ControlRequest = { type: 'control', command: lovage.command, arguments: lovage.arguments, destination };
    if (request.ticket !== undefined && request.replyTo !== undefined && request.method !== 'shutdown') {
      const route: ReplyRoute = { method: request.method, ticket: request.ticket, exchange: request.replyTo.exchange, routingKey: request.replyTo.routingKey };
      message.replyTo = ROUTE_PREFIX + JSON.stringify(route);
    }
    for (const listener of this.listeners) listener(message);
  }

  async sendReply(replyTo: string, reply: ControlReplyEnvelope): Promise<void> {
    if (!replyTo.startsWith(ROUTE_PREFIX)) {
      await this.own.sendReply(replyTo, reply);
      return;
    }
    const route = JSON.parse(replyTo.slice(ROUTE_PREFIX.length)) as ReplyRoute;
    const envelope = encodeControlReply({
      hostname: reply.hostname,
      reply: toCeleryReply(route.method, JSON.parse(reply.reply)),
      ticket: route.ticket,
      replyTo: { exchange: route.exchange, routingKey: route.routingKey },
      clock: ++this.clock,
    });
    await this.transport.sendReply(route.routingKey, envelope);
  }

  async collectReplies(replyTo: string, timeoutMs: number, expected?: number): Promise<ControlReplyEnvelope[]> {
    const call = this.pending.get(replyTo);
    if (!call) return this.own.collectReplies(replyTo, timeoutMs, expected);
    this.pending.delete(replyTo);
    const replies = await this.popReplies(replyTo, call.ticket, timeoutMs, call.broadcast ? undefined : expected);
    return replies.map(([hostname, value]) => ({ hostname, reply: JSON.stringify(fromCeleryReply(call.method, value, hostname) ?? null) }));
  }

  /** The replies to `ticket` that reach the caller `oid`'s reply queue; the queue is unbound and deleted after. */
  private async popReplies(oid: string, ticket: string, timeoutMs: number, wanted: number | undefined): Promise<[string, unknown][]> {
    const out: [string, unknown][] = [];
    if (wanted !== undefined && wanted <= 0) {
      await this.transport.readReplies(oid, Date.now(), () => true);
      return out;
    }
    await this.transport.readReplies(oid, Date.now() + timeoutMs, (raw) => {
      let decoded;
      try {
        decoded = decodeControlReply(raw);
      } catch (err) {
        this.logger.warn({ err }, 'ignored a malformed pidbox reply');
        return false;
      }
      // A late reply to an earlier call on the same queue is not this call's.
      if (decoded.ticket !== ticket) return false;
      out.push(...Object.entries(decoded.replies));
      return wanted !== undefined && out.length >= wanted;
    });
    return out;
  }
}
