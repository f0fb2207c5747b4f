// The one place options are resolved: arguments first, then the environment
// (only through Lovage.fromEnv), then defaults, all checked by zod. A bad value
// fails with a ConfigError naming the field and the value.
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { toMs, type Duration } from '../time/duration.js';
import { toBytes, type ByteSize } from './byte-size.js';
import type { Logger, LogLevel } from './logger.js';

export interface LovageOptions {
  /** The app's name, used in logs and as the default hostname prefix. */
  name?: string;
  /** 'redis://…', 'rediss://…', 'redis[s]+sentinel://…', 'redis[s]+cluster://…' or 'memory://' (the default). */
  broker?: string;
  /** Where results are kept; defaults to the broker. */
  backend?: string;
  /** Prefix of every Redis key (and the namespace of a memory broker). Default 'lovage:'. */
  prefix?: string;
  /**
   * The wire format: 'lovage' (the default) or 'celery', which makes the queues
   * and results Celery's (kombu's Redis layout, protocol v2 messages,
   * `celery-task-meta-<id>` results) so Python producers and workers share them.
   * Needs a redis://, rediss:// or redis+sentinel:// broker; the default queue
   * becomes 'celery' and the visibility timeout kombu's 1 h.
   */
  protocol?: 'lovage' | 'celery';
  /** protocol 'celery': kombu's global_keyprefix (broker_transport_options) of the Celery cluster. Default ''. */
  celeryKeyPrefix?: string;
  taskSerializer?: 'json';
  /** Do not store results of any task (a task's own `ignoreResult` wins). */
  taskIgnoreResult?: boolean;
  /** Record STARTED when a worker starts a task (one more write per task). Default false, as in Celery. */
  taskTrackStarted?: boolean;
  /** How long results are kept. Default '1d'. */
  resultExpires?: Duration;
  /** Queue of tasks that name none. Default 'default' ('celery' with protocol 'celery'). */
  defaultQueue?: string;
  /** Lease of a reserved message; workers renew it. Default '30s' ('1h', kombu's, with protocol 'celery'). */
  visibilityTimeout?: Duration;
  /** Deliveries (lease expiries) after which a message goes to the dead-letter queue. Default 5. */
  maxDeliveries?: number;
  /** How long a revocation is remembered. Default '1d'. */
  revokeExpires?: Duration;
  logger?: Logger;
  logLevel?: LogLevel;
  /** Periodic schedules; read by beat. */
  beatSchedule?: Record<string, unknown>;
  /** Emit task, worker and beat events to the event stream. Default true. */
  events?: boolean;
  /** Approximate bound of the event stream in entries (MAXLEN ~). Default 1,000,000. */
  eventsMaxLen?: number;
  /**
   * Approximate bound of the event stream in bytes: each process trims to as many
   * entries as fit, at the average size of the entries it appends. Default '256mb'.
   */
  eventsMaxBytes?: ByteSize;
  /** How long events are buffered before one batched append. Default 5 ms; 0: at the end of the current event-loop turn (stricter ordering, costlier). */
  eventsFlushInterval?: Duration;
  /** How often workers publish a heartbeat. Default '2s'. A worker is offline after two missed intervals plus a margin. */
  heartbeatInterval?: Duration;
}

export interface ResolvedConfig {
  name: string;
  broker: string;
  backend: string;
  prefix: string;
  protocol: 'lovage' | 'celery';
  celeryKeyPrefix: string;
  taskIgnoreResult: boolean;
  taskTrackStarted: boolean;
  resultExpiresMs: number;
  defaultQueue: string;
  visibilityTimeoutMs: number;
  maxDeliveries: number;
  revokeExpiresMs: number;
  logLevel: LogLevel;
  beatSchedule: Record<string, unknown>;
  events: boolean;
  eventsMaxLen: number;
  eventsMaxBytes: number;
  eventsFlushIntervalMs: number;
  heartbeatIntervalMs: number;
}

/** A number, or a string with a unit that `convert` reads; its error message becomes the issue. */
const withUnit = (field: string, convert: (value: number | string, field: string) => number) =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    try {
      return convert(v, field);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });
const duration = (field: string) => withUnit(field, toMs);
const byteSize = (field: string) => withUnit(field, toBytes);

const boolFromEnv = z.union([
  z.boolean(),
  z.enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off']).transform((v) => ['1', 'true', 'yes', 'on'].includes(v)),
]);

const url = z.string().regex(/^(memory|rediss?|rediss?\+sentinel|rediss?\+cluster):\/\//, 'must start with memory://, redis://, rediss://, redis[s]+sentinel:// or redis[s]+cluster://');
const brokerUrl = z
  .string()
  .regex(
    /^(memory|rediss?|rediss?\+sentinel|rediss?\+cluster|amqps?):\/\//,
    'must start with memory://, redis://, rediss://, redis[s]+sentinel://, redis[s]+cluster://, amqp:// or amqps://',
  );

const schema = z.object({
  name: z.string().min(1).default('lovage'),
  broker: brokerUrl.default('memory://'),
  backend: url.optional(),
  prefix: z.string().default('lovage:'),
  protocol: z.enum(['lovage', 'celery']).default('lovage'),
  celeryKeyPrefix: z.string().default(''),
  taskSerializer: z.literal('json').default('json'),
  taskIgnoreResult: boolFromEnv.default(false),
  taskTrackStarted: boolFromEnv.default(false),
  resultExpires: duration('resultExpires').default(86_400_000),
  defaultQueue: z.string().min(1).optional(),
  visibilityTimeout: duration('visibilityTimeout').optional(),
  maxDeliveries: z.coerce.number().int().min(1).default(5),
  revokeExpires: duration('revokeExpires').default(86_400_000),
  logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  beatSchedule: z.record(z.string(), z.unknown()).default({}),
  events: boolFromEnv.default(true),
  eventsMaxLen: z.coerce.number().int().min(100).default(1_000_000),
  eventsMaxBytes: byteSize('eventsMaxBytes')
    .refine((bytes) => bytes >= 65_536, 'must be at least 64kb')
    .default(256 * 1_024 ** 2),
  eventsFlushInterval: duration('eventsFlushInterval').default(5),
  heartbeatInterval: duration('heartbeatInterval').default(2_000),
});

type RawOptions = Record<string, unknown>;

export function resolveConfig(options: LovageOptions | RawOptions): ResolvedConfig {
  const { logger: _logger, ...rest } = options as RawOptions;
  const parsed = schema.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.');
    const value = issue.path.reduce<unknown>((o, k) => (o as Record<PropertyKey, unknown> | undefined)?.[k], rest);
    throw new ConfigError(`${field}: ${issue.message} (got ${JSON.stringify(value)})`);
  }
  const o = parsed.data;
  const celery = o.protocol === 'celery';
  if (celery) {
    for (const option of ['broker', 'backend'] as const) {
      const value = o[option];
      // Celery on RabbitMQ: Celery's exchanges and queues on the broker, results on a Redis `backend`.
      if (option === 'broker' && value !== undefined && /^amqps?:\/\//.test(value)) continue;
      if (value !== undefined && !/^(redis|rediss|redis\+sentinel):\/\//.test(value)) {
        throw new ConfigError(
          `${option}: protocol 'celery' speaks kombu's layout on a single Redis server (redis://, rediss:// or redis+sentinel://); ${JSON.stringify(value)} cannot carry it${option === 'broker' && value === 'memory://' ? ' (memory:// is the default: set `broker`)' : ''}`,
        );
      }
    }
  }
  if (celery && /^amqps?:\/\//.test(o.broker) && o.backend === undefined) {
    throw new ConfigError(
      `backend: protocol 'celery' on an amqp:// broker keeps results in Celery's Redis result backend; set \`backend\` to a redis:// URL (got none)`,
    );
  }
  // RabbitMQ carries the queues only: results, revocations, rate limits, schedules and workflows need a store beside it.
  if (/^amqps?:\/\//.test(o.broker) && o.backend === undefined && !celery) {
    throw new ConfigError(
      `backend: an amqp:// broker keeps results, revocations, rate limits, schedules, workflows and worker heartbeats in the \`backend\` store; set \`backend\` to a redis:// (or memory://) URL (got none)`,
    );
  }
  return {
    name: o.name,
    broker: o.broker,
    backend: o.backend ?? o.broker,
    prefix: o.prefix,
    protocol: o.protocol,
    celeryKeyPrefix: o.celeryKeyPrefix,
    taskIgnoreResult: o.taskIgnoreResult,
    taskTrackStarted: o.taskTrackStarted,
    resultExpiresMs: o.resultExpires,
    defaultQueue: o.defaultQueue ?? (celery ? 'celery' : 'default'),
    // kombu's visibility_timeout: Python workers never renew, so a shorter one would restore their running tasks.
    visibilityTimeoutMs: o.visibilityTimeout ?? (celery ? 3_600_000 : 30_000),
    maxDeliveries: o.maxDeliveries,
    revokeExpiresMs: o.revokeExpires,
    logLevel: o.logLevel,
    beatSchedule: o.beatSchedule,
    events: o.events,
    eventsMaxLen: o.eventsMaxLen,
    eventsMaxBytes: o.eventsMaxBytes,
    eventsFlushIntervalMs: o.eventsFlushInterval,
    heartbeatIntervalMs: o.heartbeatInterval,
  };
}

/** Environment variable (after the namespace and `_`) for each option. */
const envNames: Record<string, string> = {
  broker: 'BROKER_URL',
  backend: 'RESULT_BACKEND',
  prefix: 'PREFIX',
  protocol: 'PROTOCOL',
  celeryKeyPrefix: 'CELERY_KEY_PREFIX',
  taskIgnoreResult: 'TASK_IGNORE_RESULT',
  taskTrackStarted: 'TASK_TRACK_STARTED',
  resultExpires: 'RESULT_EXPIRES',
  defaultQueue: 'DEFAULT_QUEUE',
  visibilityTimeout: 'VISIBILITY_TIMEOUT',
  maxDeliveries: 'MAX_DELIVERIES',
  revokeExpires: 'REVOKE_EXPIRES',
  logLevel: 'LOG_LEVEL',
  events: 'EVENTS',
  eventsMaxLen: 'EVENTS_MAX_LEN',
  eventsMaxBytes: 'EVENTS_MAX_BYTES',
  heartbeatInterval: 'HEARTBEAT_INTERVAL',
};

/** Reads options from `<NAMESPACE>_*` variables; explicit options win over the environment. */
export function optionsFromEnv(
  namespace: string,
  explicit: LovageOptions,
  env: Record<string, string | undefined> = process.env,
): LovageOptions {
  const fromEnv: RawOptions = {};
  for (const [option, name] of Object.entries(envNames)) {
    const value = env[`${namespace}_${name}`];
    if (value !== undefined && value !== '') fromEnv[option] = /^\d+$/.test(value) && option !== 'prefix' && option !== 'celeryKeyPrefix' ? Number(value) : value;
  }
  return { ...fromEnv, ...explicit };
}

/** The environment variable a CLI may use to find the app module. */
export function envValue(name: string): string | undefined {
  return process.env[name];
}
