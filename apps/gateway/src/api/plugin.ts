// The versioned REST API under /api/v1. Every route here is authenticated (the
// `authenticate` hook) except POST /auth/login; each feature folder adds its routes.
import type { Lovage } from '@lovage/engine';
import type { FastifyPluginCallback } from 'fastify';
import { authenticate } from '../auth/authenticate.js';
import type { LoginLimiters } from '../auth/routes.js';
import { registerAuthRoutes } from '../auth/routes.js';
import type { SessionStore } from '../auth/session-store.js';
import { registerAuditRoutes } from '../audit/routes.js';
import { registerExposureRoutes, type ExposureSettings } from '../security/exposure.js';
import type { Ingest } from '../ingest/ingest.js';
import type { CeleryCluster } from '../celery/celery-cluster.js';
import type { CeleryActions } from '../celery/celery-actions.js';
import { registerAlertRoutes, type AlertRouteOptions } from '../alerts/routes.js';
import { registerClusterRoutes } from './clusters.js';
import { OpenApiRegistry } from './openapi.js';
import { registerOverviewRoutes } from './overview.js';
import { registerQueueRoutes } from './queues.js';
import { registerQueueHistoryRoutes } from './queue-history.js';
import { registerScheduleRoutes } from './schedules.js';
import type { ScheduleSources } from './schedule-sources.js';
import { registerTaskRoutes } from './tasks.js';
import { registerThroughputRoutes } from './throughput.js';
import { registerTokenRoutes } from './tokens.js';
import { registerUserRoutes } from './users.js';
import { registerWorkerRoutes } from './workers.js';

export const API_PREFIX = '/api/v1';

export interface ApiPluginOptions {
  sessions: SessionStore;
  limiters: LoginLimiters;
  allowedOrigins: string[];
  version: string;
  passwordCost: number;
  /** The engine app (queues, dead letters, schedules come from its broker); null serves the database only. */
  engine?: Lovage | null;
  ingest?: Ingest | null;
  /** The watched Celery clusters (GET /clusters). */
  celery?: readonly CeleryCluster[];
  /** Their queues (GET /queues). */
  celeryActions?: CeleryActions | null;
  /** The schedule stores: the engine app's and each watched Celery cluster's beat's. */
  schedules: ScheduleSources;
  /** Where the gateway listens and how /metrics is guarded, for the exposure warnings. */
  exposure: ExposureSettings;
  /** Alert rules, firings and test sends (/alerts). */
  alerts: AlertRouteOptions;
}

export const apiPlugin: FastifyPluginCallback<ApiPluginOptions> = (app, options, done) => {
  const openapi = new OpenApiRegistry();
  const registrar = { app, openapi, prefix: API_PREFIX };
  app.addHook(
    'onRequest',
    authenticate({ prisma: app.database.prisma, sessions: options.sessions, allowedOrigins: options.allowedOrigins, addressLimiter: options.limiters.ip }),
  );
  // JSON only, never HTML (nosniff comes with the security headers on every response): user-provided
  // strings (emails, token names) can only ever be data. Nothing of it belongs in a shared cache.
  app.addHook('onSend', (_request, reply, payload, next) => {
    void reply.header('cache-control', 'no-store');
    next(null, payload);
  });

  registerAuthRoutes(registrar, { sessions: options.sessions, limiters: options.limiters, passwordCost: options.passwordCost });
  registerUserRoutes(registrar, { sessions: options.sessions, passwordCost: options.passwordCost });
  registerTokenRoutes(registrar);
  registerExposureRoutes(registrar, options.exposure);
  registerAuditRoutes(registrar);
  registerTaskRoutes(registrar);
  registerWorkerRoutes(registrar);
  registerClusterRoutes(registrar, options.celery ?? []);
  registerQueueRoutes(registrar, options.engine ?? null, options.celeryActions ?? null);
  registerScheduleRoutes(registrar, options.schedules);
  registerThroughputRoutes(registrar);
  registerQueueHistoryRoutes(registrar);
  registerOverviewRoutes(registrar, { engine: options.engine ?? null, ingest: options.ingest ?? null });
  registerAlertRoutes(registrar, options.alerts);

  let document: Record<string, unknown> | undefined;
  app.get('/openapi.json', { config: { access: 'viewer' } }, (_request, reply) => {
    document ??= openapi.document({ title: 'Lovage monitor API', version: options.version });
    return reply.send(document);
  });
  done();
};
