// The gateway: one Fastify server over the monitor's database. Later issues add
// their parts as Fastify plugins, one folder each, registered in `createGateway`:
//   api/      versioned REST API (/api/v1/...)
//   live/     socket.io feed
//   auth/     users, sessions, API tokens
//   ingest/   event-stream consumer into the database
//   metrics/  Prometheus /metrics and per-minute buckets
import fastifyCookie from '@fastify/cookie';
import type { Lovage } from '@lovage/engine';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { installErrorHandlers } from './api/error-handler.js';
import { API_PREFIX, apiPlugin } from './api/plugin.js';
import type { Role } from './api/schemas.js';
import { AuditLog } from './audit/audit-log.js';
import { ensureFirstAdmin, type AdminLogin, type FirstRunLogin } from './auth/first-admin.js';
import { LoginRateLimiter, type LoginRateLimitOptions } from './auth/login-rate-limiter.js';
import type { Principal } from './auth/principal.js';
import type { WorkflowRetrier } from './actions/workflow-actions.js';
import { DEFAULT_PASSWORD_COST } from './auth/password.js';
import { SessionStore } from './auth/session-store.js';
import { loadSecurityConfig, type CeleryClusterConfig, type SecurityConfig } from './config.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { FLOWER_READ_PREFIX, flowerReadPlugin } from './flower/read.js';
import { registerHealth } from './health.js';
import { exposureWarnings } from './security/exposure.js';
import { registerSecurityHeaders } from './security/headers.js';
import { CeleryEventSource, type CeleryEventSourceOptions } from './ingest/celery-events.js';
import { CeleryCluster, type CeleryClusterOptions } from './celery/celery-cluster.js';
import { CeleryActions } from './celery/celery-actions.js';
import { ScheduleSources } from './api/schedule-sources.js';
import { Ingest, type IngestOptions } from './ingest/ingest.js';
import type { BatchListener } from './ingest/batch-result.js';
import type { LiveFeedOptions } from './live/live-feed.js';
import { mountOperatorFeatures } from './live/mount.js';
import { LiveFanout, type LiveFanoutOptions } from './live/fanout.js';
import { registerMetrics } from './metrics/plugin.js';
import { registerMonitorMetrics } from './metrics/monitor-metrics.js';
import { createMetrics, type GatewayMetrics } from './metrics/registry.js';
import { loadRetentionConfig, loadTaskLogLimit } from './retention/config.js';
import { Retention, type RetentionOptions } from './retention/retention.js';
import { loadQueueSamplerConfig } from './metrics/config.js';
import { QueueSampler, type QueueSamplerOptions } from './metrics/queue-sampler.js';
import { readQueueDepths } from './metrics/queue-depths.js';
import { openDatabase, type Database } from './store/database.js';
import { AlertEvaluator, type AlertEvaluatorOptions } from './alerts/evaluator.js';
import { loadAlertConfig } from './alerts/config.js';

/** How many more failed logins one client address may make than one email. */
const IP_LIMIT_FACTOR = 10;

/**
 * The dashboard's origin, plus the same origin spelled with the other loopback name
 * (localhost ↔ 127.0.0.1), so a browser opened on either address may sign in.
 */
function sameHostAliases(url: string): string[] {
  const origin = new URL(url);
  const aliases = { localhost: '127.0.0.1', '127.0.0.1': 'localhost' } as Record<string, string | undefined>;
  const other = aliases[origin.hostname];
  if (!other) return [origin.origin];
  const alias = new URL(origin.origin);
  alias.hostname = other;
  return [origin.origin, alias.origin];
}

const API_VERSION = '1.0.0';
const SESSION_SWEEP_INTERVAL_MS = 3_600_000;

export interface GatewayOptions {
  /** postgres:// URL; when absent the embedded PGlite database under `dataDir` is used. */
  databaseUrl?: string | undefined;
  /** Data directory for embedded state (default `.lovage`). */
  dataDir?: string | undefined;
  /** 0 picks a free port. */
  port: number;
  host?: string | undefined;
  /** A pino logger; or the level of the default one (info). */
  logger?: Logger;
  logLevel?: string;
  migrationsDir?: string;
  /**
   * Authentication and exposure settings. Fields left out are read from the
   * environment (LOVAGE_ADMIN_EMAIL, LOVAGE_ADMIN_PASSWORD, LOVAGE_DASHBOARD_URL,
   * LOVAGE_METRICS_TOKEN, LOVAGE_TRUST_PROXY, LOVAGE_SESSION_TTL_HOURS).
   */
  security?: Partial<SecurityConfig>;
  /** Failed logins allowed per email and per IP in the window (default 5 per 15 min). */
  loginRateLimit?: LoginRateLimitOptions;
  /**
   * scrypt's N for new password hashes (default 16384). Tests lower it to run
   * fast; existing hashes keep the cost they were made with.
   */
  passwordCost?: number;
  /**
   * The engine app whose event stream the gateway ingests into the database.
   * Without it the gateway serves what the database holds and ingests nothing.
   * The gateway never closes it: its owner does, after `gateway.close()`.
   */
  app?: Lovage | undefined;
  /** Consumer group, consumer name and batch size of the ingest. */
  ingest?: IngestOptions;
  /**
   * Python Celery clusters whose `celeryev` events the gateway also ingests
   * (LOVAGE_CELERY_BROKER_URL), with or without an engine app of its own.
   */
  celery?: CeleryClusterConfig[];
  /** Batching of the Celery event sources. */
  celeryEvents?: CeleryEventSourceOptions;
  /** Stats refresh and inspect timeouts of the Celery clusters. */
  celeryClusters?: CeleryClusterOptions;
  /**
   * Retries the failed members of a workflow (POST /tasks/:id/workflow/retry-failed). By default
   * the engine app's `app.workflows`, when the engine has canvas; tests and embedders may pass their own.
   */
  workflows?: WorkflowRetrier | undefined;
  /** Live feed tuning (coalescing interval, polling, session re-checks). */
  live?: LiveFeedOptions;
  /**
   * Several gateways on one database and broker: a Redis every replica shares
   * (LOVAGE_LIVE_REDIS_URL), over which each one's live feed also shows the
   * batches the other replicas' ingest applied. Without it the feed shows this
   * gateway's own batches only.
   */
  liveFanout?: LiveFanoutOptions | undefined;
  /**
   * Background pruning of old history. Fields left out are read from the
   * environment (LOVAGE_RETENTION, LOVAGE_RETENTION_MAX_TASKS,
   * LOVAGE_METRICS_RETENTION); false turns pruning off.
   */
  retention?: RetentionOptions | false;
  /**
   * Alert evaluation (rules from the Alerts page, notified to webhooks). Fields left
   * out are read from the environment (LOVAGE_ALERT_INTERVAL_MS,
   * LOVAGE_ALERT_WEBHOOK_TIMEOUT_MS); false, or `evaluate: false`, turns this
   * gateway's evaluation off (the API still edits rules and sends tests).
   */
  alerts?: (AlertEvaluatorOptions & { evaluate?: boolean }) | false;
  /**
   * The queue depth sampler (queue history), once a minute by default. Fields
   * left out are read from the environment (LOVAGE_QUEUE_SAMPLE_INTERVAL_MS);
   * false turns it off.
   */
  queueSampler?: QueueSamplerOptions | false;
}

export interface Gateway {
  /** The base URL the server listens on, e.g. http://127.0.0.1:5555. */
  url: string;
  port: number;
  prisma: PrismaClient;
  database: Database;
  app: FastifyInstance;
  /** The first admin's login when this start generated its password (shown once), else null. */
  firstRun: FirstRunLogin | null;
  /** The admin email and where its password comes from, for the start banner. */
  admin: AdminLogin;
  /** Records an action in the audit log (later modules: task, worker, schedule actions). */
  audit: AuditLog;
  /** The Prometheus registry behind /metrics; other modules add their metrics here. */
  metrics: GatewayMetrics;
  /** The event-stream ingest, when an engine app was given. */
  ingest: Ingest | null;
  /** One event source per watched Celery cluster. */
  celery: CeleryEventSource[];
  /** Each watched Celery cluster's control, reconciliation and worker stats (same order as `celery`). */
  celeryClusters: CeleryCluster[];
  /** The background pruning of old history, unless turned off. */
  retention: Retention | null;
  /** The alert evaluator (started unless `alerts: false`). */
  alerts: AlertEvaluator;
  /** The queue depth sampler, when there is a broker to sample and it is not turned off. */
  queueSampler: QueueSampler | null;
  close(): Promise<void>;
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const logger = options.logger ?? pino({ name: 'lovage-gateway', level: options.logLevel ?? 'info' });
  const given = options.security ?? {};
  const security: SecurityConfig = { ...loadSecurityConfig(), ...stripUndefined(given) };
  // An optional secret passed explicitly as undefined means "none", not "read the environment".
  if ('adminPassword' in given) security.adminPassword = given.adminPassword;
  if ('metricsToken' in given) security.metricsToken = given.metricsToken;
  const host = options.host ?? '0.0.0.0';
  // Read before the database opens, so a bad LOVAGE_ALERT_* or LOVAGE_QUEUE_SAMPLE_INTERVAL_MS value fails the start with nothing to close.
  const { evaluate: evaluateOption, ...alertOptions } = options.alerts === false ? { evaluate: false } : (options.alerts ?? {});
  const evaluateAlerts = evaluateOption !== false;
  const alertConfig = loadAlertConfig();
  const samplerConfig = loadQueueSamplerConfig();
  const database = await openDatabase({
    databaseUrl: options.databaseUrl,
    dataDir: options.dataDir,
    logger,
    ...(options.migrationsDir ? { migrationsDir: options.migrationsDir } : {}),
  });

  // Typed with Fastify's base logger so plugins see the default FastifyInstance type.
  const loggerInstance: FastifyBaseLogger = logger;
  const app: FastifyInstance = Fastify({ loggerInstance, trustProxy: security.trustProxy });
  const audit = new AuditLog(database.prisma, logger);
  const metrics = createMetrics();
  const sessions = new SessionStore(database.prisma, security.sessionTtlMs);
  const passwordCost = options.passwordCost ?? DEFAULT_PASSWORD_COST;
  // Failed logins are limited per email, and far more loosely per client address: every
  // browser reaches the gateway through the dashboard's server, so many people share one.
  const emailLimit = options.loginRateLimit ?? { maxFailures: 5, windowMs: 15 * 60_000 };
  const limiters = {
    email: new LoginRateLimiter(database.prisma, emailLimit),
    ip: new LoginRateLimiter(database.prisma, { ...emailLimit, maxFailures: emailLimit.maxFailures * IP_LIMIT_FACTOR }),
  };
  let admin: AdminLogin;
  try {
    admin = await ensureFirstAdmin(database.prisma, { email: security.adminEmail, password: security.adminPassword, passwordCost }, logger);
  } catch (error) {
    await database.close();
    throw error;
  }

  app.decorate('database', database);
  app.decorate('audit', audit);
  app.decorateRequest('principal', null);
  installErrorHandlers(app);
  registerSecurityHeaders(app);
  await app.register(fastifyCookie);
  const retention =
    options.retention === false
      ? null
      : new Retention(database.prisma, logger.child({ component: 'retention' }), { ...loadRetentionConfig(), ...stripUndefined(options.retention ?? {}) });
  const alerts = new AlertEvaluator(database.prisma, options.app ?? null, logger.child({ component: 'alerts' }), {
    dashboardUrl: security.dashboardUrl,
    ...alertConfig,
    ...stripUndefined(alertOptions),
  });
  const ingest = options.app
    ? new Ingest(options.app, database.prisma, logger.child({ component: 'ingest' }), { taskLogLimit: loadTaskLogLimit(), ...options.ingest })
    : null;
  const celery = (options.celery ?? []).map(
    (cluster) => new CeleryEventSource(cluster, database.prisma, logger.child({ component: 'celery-events', cluster: cluster.name }), options.celeryEvents),
  );
  const clusters = celery.map(
    (source, index) => new CeleryCluster(options.celery![index]!, source, database.prisma, logger.child({ component: 'celery-cluster', cluster: source.cluster }), options.celeryClusters),
  );
  const celeryActions = clusters.length > 0 ? new CeleryActions(clusters, database.prisma) : null;
  const engineApp = options.app ?? null;
  const queueSampler =
    options.queueSampler === false || (!engineApp && !celeryActions)
      ? null
      : new QueueSampler(database.prisma, () => readQueueDepths(engineApp, celeryActions), logger.child({ component: 'queue-sampler' }), {
          ...samplerConfig,
          ...stripUndefined(options.queueSampler ?? {}),
        });
  const schedules = new ScheduleSources(options.app ?? null, options.celery ?? []);
  // The live feed and the metrics follow every source of committed batches alike.
  const sources = [...(ingest ? [ingest] : []), ...celery];
  const applied =
    sources.length === 0
      ? null
      : {
          onApplied(listener: BatchListener): () => void {
            const unsubscribe = sources.map((source) => source.onApplied(listener));
            return () => {
              for (const stop of unsubscribe) stop();
            };
          },
        };
  const fanout = options.liveFanout ? new LiveFanout(applied, options.liveFanout, logger.child({ component: 'live-fanout' })) : null;
  registerHealth(app, database, ingest, clusters);
  const feedMetrics = registerMonitorMetrics(metrics.registry, { engine: options.app ?? null, ingest, prisma: database.prisma, logger });
  applied?.onApplied(feedMetrics);
  registerMetrics(app, metrics, security.metricsToken);
  await app.register(apiPlugin, {
    prefix: API_PREFIX,
    sessions,
    limiters,
    allowedOrigins: sameHostAliases(security.dashboardUrl),
    version: API_VERSION,
    passwordCost,
    engine: options.app ?? null,
    ingest,
    celery: clusters,
    celeryActions,
    schedules,
    exposure: { host, metricsToken: security.metricsToken },
    alerts: { evaluator: alerts, evaluating: evaluateAlerts },
  });
  // Flower's read endpoints (/api/workers, /api/tasks, /api/task/info|result/:id, /api/queues/length).
  await app.register(flowerReadPlugin, { prefix: FLOWER_READ_PREFIX, sessions, allowedOrigins: sameHostAliases(security.dashboardUrl), engine: options.app ?? null });
  // Operator actions (/api/v1, Flower's /api/task/...) and the socket.io live feed on this server.
  const operator = await mountOperatorFeatures(app, {
    engine: options.app ?? null,
    ingest: fanout ?? applied,
    fanout,
    sessions,
    allowedOrigins: sameHostAliases(security.dashboardUrl),
    logger,
    trustProxy: security.trustProxy,
    workflows: options.workflows,
    celery: celeryActions,
    schedules,
    ...(options.live ? { live: options.live } : {}),
  });
  const sweep = setInterval(() => {
    sessions.deleteExpired().catch((error: unknown) => logger.warn({ err: error }, 'could not delete expired sessions'));
    limiters.email.prune().catch((error: unknown) => logger.warn({ err: error }, 'could not delete old failed sign-ins'));
  }, SESSION_SWEEP_INTERVAL_MS);
  sweep.unref();

  const closeCelery = async () => {
    await Promise.all(clusters.map((cluster) => cluster.close()));
    await Promise.all(celery.map((source) => source.close()));
  };
  try {
    await fanout?.start();
    await ingest?.start();
    for (const cluster of clusters) cluster.start();
    await Promise.all(celery.map((source) => source.start()));
    await app.listen({ port: options.port, host });
  } catch (error) {
    await ingest?.close();
    await closeCelery();
    clearInterval(sweep);
    await fanout?.close();
    await operator.close();
    await app.close();
    await schedules.close();
    await database.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const publicHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const url = `http://${publicHost.includes(':') ? `[${publicHost}]` : publicHost}:${port}`;
  logger.info({ url, database: database.kind }, 'gateway listening');
  for (const warning of await exposureWarnings(database.prisma, { host, metricsToken: security.metricsToken })) logger.warn({ code: warning.code }, warning.message);
  retention?.start();
  if (evaluateAlerts) alerts.start();
  queueSampler?.start();

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    prisma: database.prisma,
    database,
    app,
    firstRun: admin.password.source === 'generated' ? { email: admin.email, password: admin.password.value } : null,
    admin,
    audit,
    metrics,
    ingest,
    celery,
    celeryClusters: clusters,
    retention,
    alerts,
    queueSampler,
    close() {
      closing ??= (async () => {
        clearInterval(sweep);
        await retention?.stop();
        await alerts.stop();
        await queueSampler?.stop();
        await ingest?.close();
        await closeCelery();
        await fanout?.close();
        await operator.close();
        await app.close();
        await schedules.close();
        await database.close();
      })();
      return closing;
    },
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}

declare module 'fastify' {
  interface FastifyInstance {
    database: Database;
    audit: AuditLog;
  }
  interface FastifyRequest {
    /** The authenticated caller, set by the API's authenticate hook. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** The least role a route needs, or public. */
    access?: Role | 'public';
    /** The audit action of a state-changing route. */
    action?: string | undefined;
  }
}
