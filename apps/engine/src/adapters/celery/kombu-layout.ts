// The only place the Redis key and channel names of kombu's transport and
// Celery's Redis result backend are built. Checked against kombu 5.2.4
// (kombu/transport/redis.py) and Celery 5.2.6 (celery/backends/base.py).
//
// Broker side (all under kombu's `global_keyprefix` transport option, which
// 5.2.4 prepends to every key and every PUBLISH/PSUBSCRIBE channel):
//   <queue>, <queue>\x06\x163, \x06\x166, \x06\x169   a queue's lists, one per
//        priority step [0, 3, 6, 9]; LPUSH in, BRPOP out ("for each step, for
//        each queue", with 1 s timeouts), so step 0 is served first: on Redis a
//        *lower* priority number wins, the reverse of RabbitMQ.
//   _kombu.binding.<exchange>   set of "<routing_key>\x06\x16<pattern>\x06\x16<queue>"
//   unacked (hash tag → [envelope, exchange, routing_key]), unacked_index
//        (zset tag → epoch seconds), unacked_mutex (redis-py Lock: SET NX PX
//        300000 with a token, released by a compare-and-delete script) — see
//        unacked-entry.ts. A 5.2.4 worker restores entries older than the
//        visibility timeout (3600 s) when it starts and then every 10th call of
//        a 10 s timer, i.e. about every 100 s. Its WATCH on `unacked` during a
//        restore is sent without the global prefix (a kombu 5.2.4 bug): with a
//        prefix it guards nothing.
//   Fanout exchanges (celeryev, celery.pidbox) are pub/sub channels
//        "/<db>.<exchange>/<routing_key>", or "/<db>.<exchange>" when the
//        routing key is empty; pub/sub ignores SELECT, hence the db number.
//        Subscribers PSUBSCRIBE with '#' rewritten to '*'.
// Result side (no global prefix in 5.2.6; 5.6 has result_backend_transport_options
// global_keyprefix, modelled by `resultKeyPrefix`):
//   celery-task-meta-<id>       result meta (SETEX) and the channel it is PUBLISHed on
//   celery-taskset-meta-<gid>   a saved GroupResult; with suffixes .j, .t, .s for native chords
// Lovage's own keys beside kombu's (under the same global prefix, named like
// kombu's `_kombu.` keys so no queue name collides), which Python ignores:
//   _lovage.dead.<queue>        dead-letter list of a queue (JSON {id, queue, body, reason, at})
//   _lovage.revoked.<id>        a revocation, with a TTL
//   _lovage.rate.<name>         a rate limit's token bucket
//
// None of these keys carry a Redis Cluster hash tag (kombu's Redis transport
// does not run on Cluster), so a script touching a queue list and `unacked`
// together runs on a single Redis, Sentinel-managed or not, only.

export const DEFAULT_SEP = '\x06\x16';
export const DEFAULT_PRIORITY_STEPS: readonly number[] = [0, 3, 6, 9];
/** Celery's control_exchange default; names the pidbox exchanges. */
export const DEFAULT_CONTROL_NAMESPACE = 'celery';
/** Celery's event_exchange default. */
export const DEFAULT_EVENT_EXCHANGE = 'celeryev';

export interface KombuLayoutOptions {
  /** kombu's global_keyprefix transport option. Default ''. */
  globalKeyPrefix?: string;
  /** The Redis database number of the broker URL. Default 0. */
  db?: number;
  /** kombu's fanout_prefix option: true for '/<db>.', false for none, or a custom prefix. Default true. */
  fanoutPrefix?: boolean | string;
  sep?: string;
  prioritySteps?: readonly number[];
  unackedKey?: string;
  unackedIndexKey?: string;
  unackedMutexKey?: string;
  /** Celery's control_exchange. Default 'celery'. */
  controlNamespace?: string;
  /** Celery's event_exchange. Default 'celeryev'. */
  eventExchange?: string;
  /** Prepended to result keys (Celery 5.6's result global_keyprefix, "_" added unless it ends in one of `:_-.`). Default none. */
  resultKeyPrefix?: string;
}

export interface Binding {
  routingKey: string;
  pattern: string;
  queue: string;
}

export class KombuLayout {
  readonly globalKeyPrefix: string;
  readonly sep: string;
  readonly prioritySteps: readonly number[];
  /** The pidbox (control request) fanout exchange, e.g. 'celery.pidbox'. */
  readonly pidboxExchange: string;
  /** The direct exchange replies go to, e.g. 'reply.celery.pidbox'. */
  readonly replyExchange: string;
  readonly eventExchange: string;
  private readonly fanoutPrefix: string;
  private readonly resultPrefix: string;
  private readonly unacked: string;
  private readonly unackedIndex: string;
  private readonly unackedMutex: string;

  constructor(options: KombuLayoutOptions = {}) {
    this.globalKeyPrefix = options.globalKeyPrefix ?? '';
    this.sep = options.sep ?? DEFAULT_SEP;
    this.prioritySteps = [...(options.prioritySteps ?? DEFAULT_PRIORITY_STEPS)].sort((a, b) => a - b);
    const fanout = options.fanoutPrefix ?? true;
    this.fanoutPrefix = fanout === true ? `/${options.db ?? 0}.` : fanout === false ? '' : fanout;
    const namespace = options.controlNamespace ?? DEFAULT_CONTROL_NAMESPACE;
    this.pidboxExchange = `${namespace}.pidbox`;
    this.replyExchange = `reply.${namespace}.pidbox`;
    this.eventExchange = options.eventExchange ?? DEFAULT_EVENT_EXCHANGE;
    const resultPrefix = options.resultKeyPrefix ?? '';
    this.resultPrefix =
      resultPrefix === '' || /[:_\-.]$/.test(resultPrefix) ? resultPrefix : `${resultPrefix}_`;
    this.unacked = options.unackedKey ?? 'unacked';
    this.unackedIndex = options.unackedIndexKey ?? 'unacked_index';
    this.unackedMutex = options.unackedMutexKey ?? 'unacked_mutex';
  }

  private key(name: string): string {
    return this.globalKeyPrefix + name;
  }

  /** The priority step a message priority (clamped to 0-9) lands in: the largest step not above it. */
  priorityStep(priority: number): number {
    const clamped = Math.max(0, Math.min(9, Math.trunc(Number.isFinite(priority) ? priority : 0)));
    let step = this.prioritySteps[0] ?? 0;
    for (const candidate of this.prioritySteps) if (candidate <= clamped) step = candidate;
    return step;
  }

  /** The list a message of `priority` is LPUSHed to. */
  queueKey(queue: string, priority = 0): string {
    const step = this.priorityStep(priority);
    return this.key(step === 0 ? queue : `${queue}${this.sep}${step}`);
  }

  /** Every list of `queue`, in the order they are served (for LLEN, purge, delete). */
  queueKeys(queue: string): string[] {
    return this.prioritySteps.map((step) => this.queueKey(queue, step));
  }

  /** BRPOP keys for consuming `queues`: for each priority step, for each queue (kombu's order). */
  consumeKeys(queues: readonly string[]): string[] {
    return this.prioritySteps.flatMap((step) => queues.map((queue) => this.queueKey(queue, step)));
  }

  /** The queue a BRPOP key belongs to (kombu strips the prefix and splits the step off at the last separator). */
  queueOfKey(key: string): string {
    const name = key.startsWith(this.globalKeyPrefix) ? key.slice(this.globalKeyPrefix.length) : key;
    const at = name.lastIndexOf(this.sep);
    return at === -1 ? name : name.slice(0, at);
  }

  /** The set holding `exchange`'s bindings. */
  bindingKey(exchange: string): string {
    return this.key(`_kombu.binding.${exchange}`);
  }

  bindingMember(binding: Binding): string {
    return [binding.routingKey, binding.pattern, binding.queue].join(this.sep);
  }

  parseBindingMember(member: string): Binding {
    const [routingKey = '', pattern = '', queue = ''] = member.split(this.sep);
    return { routingKey, pattern, queue };
  }

  /** The binding a producer SADDs before sending to `queue` through the anonymous/direct exchange of the same name. */
  queueBinding(queue: string): { key: string; member: string } {
    return {
      key: this.bindingKey(queue),
      member: this.bindingMember({ routingKey: queue, pattern: '', queue }),
    };
  }

  get unackedKey(): string {
    return this.key(this.unacked);
  }

  get unackedIndexKey(): string {
    return this.key(this.unackedIndex);
  }

  get unackedMutexKey(): string {
    return this.key(this.unackedMutex);
  }

  /** The channel a fanout exchange publishes on (with the global prefix, as kombu sends it). */
  fanoutChannel(exchange: string, routingKey = ''): string {
    return this.key(
      routingKey === '' ? `${this.fanoutPrefix}${exchange}` : `${this.fanoutPrefix}${exchange}/${routingKey}`,
    );
  }

  /** The PSUBSCRIBE pattern for every message of a fanout exchange that routes by key (celeryev). */
  fanoutPattern(exchange: string): string {
    return this.fanoutChannel(exchange, '*');
  }

  /** The channel of one event routing key (task.multi, worker.heartbeat, task.succeeded…). */
  eventChannel(routingKey: string): string {
    return this.fanoutChannel(this.eventExchange, routingKey);
  }

  /** PSUBSCRIBE pattern for all events; Celery's receivers subscribe to '#', sent as '*'. */
  get eventPattern(): string {
    return this.fanoutPattern(this.eventExchange);
  }

  /** The channel control requests are PUBLISHed on (routing key ''). */
  get pidboxChannel(): string {
    return this.fanoutChannel(this.pidboxExchange);
  }

  /** A worker's pidbox queue name, `<node name>.celery.pidbox` (a binding target; nothing is pushed to it on Redis). */
  pidboxQueue(hostname: string): string {
    return `${hostname}.${this.pidboxExchange}`;
  }

  /** The binding a worker SADDs when it starts listening to its pidbox. */
  pidboxBinding(hostname: string): { key: string; member: string } {
    return {
      key: this.bindingKey(this.pidboxExchange),
      member: this.bindingMember({ routingKey: '', pattern: '', queue: this.pidboxQueue(hostname) }),
    };
  }

  /** The reply queue of the caller `oid`, as a queue name (unprefixed; use queueKey for the list). */
  replyQueue(oid: string): string {
    return `${oid}.${this.replyExchange}`;
  }

  /** The binding a caller SADDs before publishing a request, so replies reach its reply queue. */
  replyBinding(oid: string): { key: string; member: string } {
    return {
      key: this.bindingKey(this.replyExchange),
      member: this.bindingMember({ routingKey: oid, pattern: '', queue: this.replyQueue(oid) }),
    };
  }

  /** The dead-letter list of `queue` (Lovage's own: kombu has none). */
  deadLetterKey(queue: string): string {
    return this.key(`_lovage.dead.${queue}`);
  }

  /** Marks task `id` revoked (Lovage's own; Celery workers keep revocations in memory). */
  revokedKey(id: string): string {
    return this.key(`_lovage.revoked.${id}`);
  }

  /** The token bucket of a rate limit shared by Lovage workers. */
  rateLimitKey(name: string): string {
    return this.key(`_lovage.rate.${name}`);
  }

  /** SCAN pattern of every binding set (listQueues reads the queues from them). */
  get bindingPattern(): string {
    return this.bindingKey('*');
  }

  /** Where Celery's Redis backend stores a task's result meta; also the channel it PUBLISHes it on. */
  resultKey(taskId: string): string {
    return `${this.resultPrefix}celery-task-meta-${taskId}`;
  }

  /** A saved GroupResult; `suffix` '.j', '.t' or '.s' gives a native chord's counter keys. */
  groupResultKey(groupId: string, suffix: '' | '.j' | '.t' | '.s' = ''): string {
    return `${this.resultPrefix}celery-taskset-meta-${groupId}${suffix}`;
  }
}
