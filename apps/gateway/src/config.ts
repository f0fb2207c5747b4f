// The gateway's configuration: read from the environment once, validated by zod,
// with a message that names the variable and the value when something is wrong.
import { z } from 'zod';

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** A whole number of milliseconds from the environment, `fallback` when unset, refused outside [min, max]. */
export function envMilliseconds(env: Record<string, string | undefined>, name: string, fallback: number, min: number, max: number): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new ConfigError(`${name}=${JSON.stringify(value)} is invalid: must be a whole number of milliseconds from ${min} to ${max}`);
  }
  return number;
}

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(5555),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  LOVAGE_DATA_DIR: z.string().min(1).default('.lovage'),
  LOVAGE_BROKER_URL: z.string().min(1).optional(),
  LOVAGE_CELERY_BROKER_URL: z
    .string()
    .transform((value, ctx) => {
      try {
        return parseCeleryClusters(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    })
    .optional(),
  LOVAGE_CELERY_KEY_PREFIX: z.string().optional(),
  LOVAGE_CELERY_RESULT_BACKEND: z.string().optional(),
  LOVAGE_CELERY_BEAT_PREFIX: z.string().min(1).max(100).optional(),
  LOVAGE_LIVE_REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  LOVAGE_GATEWAY_NAME: z.string().regex(/^[\w.:-]+$/, 'letters, digits, and . _ : - only').default('gateway'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

const booleanFlag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no'], { message: 'expected true or false' })
  .transform((value) => value === '1' || value === 'true' || value === 'yes');

const securitySchema = z.object({
  LOVAGE_ADMIN_EMAIL: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.email({ message: 'must be an email address' }))
    .default('admin@lovage.local'),
  LOVAGE_ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').max(200).optional(),
  LOVAGE_DASHBOARD_URL: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
    .default('http://localhost:3000'),
  LOVAGE_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  LOVAGE_TRUST_PROXY: booleanFlag.default(false),
  LOVAGE_SESSION_TTL_HOURS: z.coerce.number().positive().max(24 * 90).default(12),
});

/** Authentication and exposure settings: secrets come only from here. */
export interface SecurityConfig {
  /** The first admin's email (created when no user exists). */
  adminEmail: string;
  /** The first admin's password; when unset a random one is generated and shown once. */
  adminPassword: string | undefined;
  /** The dashboard's origin is allowed to send state-changing requests besides the gateway's own. */
  dashboardUrl: string;
  /** When set, GET /metrics requires `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** Trust X-Forwarded-Proto/-For/-Host from a reverse proxy (secure cookies, client IP). */
  trustProxy: boolean;
  /** Idle lifetime of a session; each use renews it (sliding expiry). */
  sessionTtlMs: number;
}

/** A Python Celery cluster the gateway watches (one entry of LOVAGE_CELERY_BROKER_URL). */
export interface CeleryClusterConfig {
  /** Shown on its tasks and workers: the entry's `name=`, else the URL's host:port/db. */
  name: string;
  /** The cluster's broker: Redis (redis://, rediss://) or RabbitMQ (amqp://, amqps://). */
  url: string;
  /** Which broker `url` is: kombu's Redis layout, or Celery's exchanges and queues on RabbitMQ. */
  transport: 'redis' | 'amqp';
  /** kombu's global_keyprefix (Celery's broker_transport_options), '' when none. */
  keyPrefix: string;
  /** The broker URL's database number: kombu puts it in its pub/sub channel names. */
  db: number;
  /** Where the cluster's results (`celery-task-meta-<id>`) live: LOVAGE_CELERY_RESULT_BACKEND's entry, else the broker. */
  resultBackend: string;
  /** The key prefix of the Lovage beat in Celery mode beside the cluster, whose schedules the Schedules page shows (LOVAGE_CELERY_BEAT_PREFIX, default Lovage's 'lovage:'). */
  beatPrefix: string;
}

/** One `[name=]url` entry of a comma-separated list. */
function splitEntry(raw: string): { entry: string; name: string | undefined; url: string } {
  const entry = raw.trim();
  const at = entry.indexOf('=');
  const named = at > 0 && !entry.slice(0, at).includes('://');
  return { entry, name: named ? entry.slice(0, at).trim() : undefined, url: named ? entry.slice(at + 1).trim() : entry };
}

function redisUrl(entry: string, url: string, amqp = false): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${JSON.stringify(entry)} is not a URL (expected [name=]redis://host:port/db${amqp ? ' or [name=]amqp://user:password@host:port/vhost' : ''})`);
  }
  const allowed = amqp ? ['redis:', 'rediss:', 'amqp:', 'amqps:'] : ['redis:', 'rediss:'];
  if (!allowed.includes(parsed.protocol)) {
    throw new Error(`${JSON.stringify(entry)}: only ${amqp ? 'redis://, rediss://, amqp:// and amqps://' : 'redis:// and rediss://'} can be ${amqp ? 'watched' : 'read'} for now`);
  }
  return parsed;
}

/**
 * Sets each cluster's result backend from LOVAGE_CELERY_RESULT_BACKEND
 * (`[name=]redis://…`, comma-separated): a named entry goes to the cluster of
 * that name, an unnamed one to the cluster in the same position. Clusters left
 * out keep their broker.
 */
export function applyResultBackends(clusters: CeleryClusterConfig[], value: string): CeleryClusterConfig[] {
  const out = clusters.map((cluster) => ({ ...cluster }));
  value
    .split(',')
    .filter((raw) => raw.trim() !== '')
    .forEach((raw, index) => {
      const { entry, name, url } = splitEntry(raw);
      redisUrl(entry, url);
      const cluster = name === undefined ? out[index] : out.find((c) => c.name === name);
      if (!cluster) {
        throw new Error(
          name === undefined
            ? `${JSON.stringify(entry)}: there is no cluster #${index + 1} in LOVAGE_CELERY_BROKER_URL`
            : `${JSON.stringify(entry)}: no cluster is named ${JSON.stringify(name)} in LOVAGE_CELERY_BROKER_URL`,
        );
      }
      cluster.resultBackend = url;
    });
  return out;
}

/**
 * Throws, naming LOVAGE_CELERY_RESULT_BACKEND, when a cluster on RabbitMQ has no Redis result
 * backend: results never live on RabbitMQ, so a cluster on amqp:// reads them from its own.
 */
export function requireResultBackends(clusters: readonly CeleryClusterConfig[]): void {
  const withoutResults = clusters.find((cluster) => cluster.transport === 'amqp' && cluster.resultBackend === cluster.url);
  if (withoutResults) {
    throw new Error(
      `LOVAGE_CELERY_RESULT_BACKEND: the Celery cluster ${JSON.stringify(withoutResults.name)} is on RabbitMQ; name its Redis result backend (\`${withoutResults.name}=redis://host:port/db\`)`,
    );
  }
}

/**
 * The cluster filter's name for Lovage's own tasks and workers (their `cluster` is null). No
 * Celery cluster may take it.
 */
export const OWN_CLUSTER = 'lovage';

/** Lovage's own default key prefix, where a Celery-mode beat keeps its schedules unless told otherwise. */
const DEFAULT_BEAT_PREFIX = 'lovage:';

const CLUSTER_NAME = /^[A-Za-z0-9][\w.:@/-]{0,99}$/;

/** Parses `[name=]redis://host:port/db, …` into clusters (with kombu's key prefix and their Lovage beat's); throws with the entry at fault. */
export function parseCeleryClusters(value: string, keyPrefix = '', beatPrefix = DEFAULT_BEAT_PREFIX): CeleryClusterConfig[] {
  const clusters: CeleryClusterConfig[] = [];
  for (const raw of value.split(',')) {
    if (raw.trim() === '') continue;
    const { entry, name, url } = splitEntry(raw);
    const parsed = redisUrl(entry, url, true);
    const transport = parsed.protocol.startsWith('amqp') ? 'amqp' : 'redis';
    const path = parsed.pathname.replace(/^\//, '');
    if (transport === 'redis' && path !== '' && !/^\d+$/.test(path)) throw new Error(`${JSON.stringify(entry)}: the database must be a number`);
    const db = transport === 'redis' && path !== '' ? Number(path) : 0;
    // RabbitMQ: host:port/vhost ('/' is the default vhost).
    const clusterName =
      name ?? (transport === 'amqp' ? `${parsed.hostname}:${parsed.port || (parsed.protocol === 'amqps:' ? '5671' : '5672')}/${decodeURIComponent(path) || '/'}` : `${parsed.hostname}:${parsed.port || '6379'}/${db}`);
    if (clusterName.toLowerCase() === OWN_CLUSTER) throw new Error(`${JSON.stringify(entry)}: the name ${JSON.stringify(OWN_CLUSTER)} stands for Lovage's own tasks in filters; give this cluster another name`);
    if (!CLUSTER_NAME.test(clusterName)) throw new Error(`${JSON.stringify(clusterName)} is not a usable cluster name (letters, digits, . _ - : @ /)`);
    if (clusters.some((c) => c.name === clusterName)) throw new Error(`two clusters are named ${JSON.stringify(clusterName)}`);
    clusters.push({ name: clusterName, url, transport, keyPrefix, db, resultBackend: url, beatPrefix });
  }
  if (clusters.length === 0) throw new Error('names no broker');
  return clusters;
}

export type GatewayConfig = {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  brokerUrl: string | undefined;
  /** Python Celery clusters whose events the gateway ingests (LOVAGE_CELERY_BROKER_URL, LOVAGE_CELERY_KEY_PREFIX). */
  celery: CeleryClusterConfig[];
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  security: SecurityConfig;
  /** Several gateways: the Redis over which each one's live feed shows the others' batches (LOVAGE_LIVE_REDIS_URL). */
  liveRedisUrl: string | undefined;
  /** This gateway's consumer name in the ingest's group (LOVAGE_GATEWAY_NAME): unique per replica, stable across its restarts. */
  name: string;
};

function cleanEnv(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
}

function configError(error: z.ZodError, cleaned: Record<string, string>, secret: (field: string) => boolean): ConfigError {
  const issue = error.issues[0];
  const field = String(issue?.path[0] ?? 'environment');
  const shown = secret(field) ? '<hidden>' : JSON.stringify(cleaned[field]);
  return new ConfigError(`${field}=${shown} is invalid: ${issue?.message ?? 'bad value'}`);
}

const secretVariables = new Set(['LOVAGE_ADMIN_PASSWORD', 'LOVAGE_METRICS_TOKEN']);
/** Shown without their URLs' passwords. */
const urlVariables = new Set(['LOVAGE_CELERY_BROKER_URL', 'LOVAGE_CELERY_RESULT_BACKEND']);

function shownWithoutPasswords(cleaned: Record<string, string>): Record<string, string> {
  const shown = { ...cleaned };
  for (const name of urlVariables) if (shown[name] !== undefined) shown[name] = shown[name].replace(/\/\/[^@/]*@/g, '//<hidden>@');
  return shown;
}

/** The watched clusters with their key prefix and result backends. */
function celeryClusters(value: z.infer<typeof envSchema>, shown: Record<string, string>): CeleryClusterConfig[] {
  let clusters = (value.LOVAGE_CELERY_BROKER_URL ?? []).map((cluster) => ({
    ...cluster,
    keyPrefix: value.LOVAGE_CELERY_KEY_PREFIX ?? '',
    beatPrefix: value.LOVAGE_CELERY_BEAT_PREFIX ?? DEFAULT_BEAT_PREFIX,
  }));
  if (value.LOVAGE_CELERY_RESULT_BACKEND !== undefined) {
    try {
      clusters = applyResultBackends(clusters, value.LOVAGE_CELERY_RESULT_BACKEND);
    } catch (error) {
      throw new ConfigError(`LOVAGE_CELERY_RESULT_BACKEND=${JSON.stringify(shown.LOVAGE_CELERY_RESULT_BACKEND)} is invalid: ${(error as Error).message}`);
    }
  }
  try {
    requireResultBackends(clusters);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  return clusters;
}

/** Resolves the security settings alone (createGateway reads them when its caller did not pass them). */
export function loadSecurityConfig(env: Record<string, string | undefined> = process.env): SecurityConfig {
  const cleaned = cleanEnv(env);
  const parsed = securitySchema.safeParse(cleaned);
  if (!parsed.success) throw configError(parsed.error, cleaned, (field) => secretVariables.has(field));
  const value = parsed.data;
  return {
    adminEmail: value.LOVAGE_ADMIN_EMAIL,
    adminPassword: value.LOVAGE_ADMIN_PASSWORD,
    dashboardUrl: value.LOVAGE_DASHBOARD_URL,
    metricsToken: value.LOVAGE_METRICS_TOKEN,
    trustProxy: value.LOVAGE_TRUST_PROXY,
    sessionTtlMs: value.LOVAGE_SESSION_TTL_HOURS * 3_600_000,
  };
}

/** Resolves the configuration from an environment (process.env by default); empty strings count as unset. */
export function loadConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const cleaned = cleanEnv(env);
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) throw configError(parsed.error, shownWithoutPasswords(cleaned), () => false);
  const value = parsed.data;
  const security = loadSecurityConfig(env);
  return {
    port: value.PORT,
    host: value.HOST,
    databaseUrl: value.DATABASE_URL,
    dataDir: value.LOVAGE_DATA_DIR,
    brokerUrl: value.LOVAGE_BROKER_URL,
    celery: celeryClusters(value, shownWithoutPasswords(cleaned)),
    logLevel: value.LOG_LEVEL,
    security,
    liveRedisUrl: value.LOVAGE_LIVE_REDIS_URL,
    name: value.LOVAGE_GATEWAY_NAME,
  };
}
