// Mounts the operator actions (/api/v1 and Flower's /api/task/...) and the
// socket.io live feed on a gateway's Fastify instance, and wires the feed to
// its sources. createGateway calls this once; close() undoes it (before the
// HTTP server closes, so sockets end first).
import type { Lovage } from '@lovage/engine';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Actions } from '../actions/actions.js';
import { actionsPlugin } from '../actions/plugin.js';
import type { WorkflowRetrier } from '../actions/workflow-actions.js';
import type { SessionStore } from '../auth/session-store.js';
import { FLOWER_PREFIX, flowerActionsPlugin } from '../flower/actions.js';
import { flowerControlPlugin } from '../flower/control.js';
import type { LiveFanout } from './fanout.js';
import { LiveFeed, type AppliedBatch, type LiveFeedOptions } from './live-feed.js';
import type { CeleryActions } from '../celery/celery-actions.js';
import type { ScheduleSources } from '../api/schedule-sources.js';

export interface OperatorFeatures {
  actions: Actions | null;
  live: LiveFeed;
  close(): Promise<void>;
}

export interface MountOptions {
  /** The engine app; without one there is nothing to act on, and only the database-fed rooms work. */
  engine: Lovage | null;
  /** The ingest's hook for committed batches. */
  ingest: { onApplied(listener: (batch: AppliedBatch) => void): () => void } | null;
  /** Several gateways: shares bulk-job progress with the other replicas' feeds. */
  fanout?: LiveFanout | null;
  sessions: SessionStore;
  /** Origins besides the gateway's own allowed to act and to open sockets (the dashboard's). */
  allowedOrigins: string[];
  logger: Logger;
  /** Whether X-Forwarded-Proto from a proxy says the request came over TLS (for HSTS). */
  trustProxy: boolean;
  live?: LiveFeedOptions;
  /** Retries a workflow's failed members; by default the engine app's own `workflows`. */
  workflows?: WorkflowRetrier | undefined;
  /** Actions on the watched Celery clusters' tasks and workers (over their pidbox). */
  celery?: CeleryActions | null;
  /** The schedule stores: the engine app's and each watched cluster's beat's. */
  schedules: ScheduleSources;
}

export async function mountOperatorFeatures(app: FastifyInstance, options: MountOptions): Promise<OperatorFeatures> {
  const prisma = app.database.prisma;
  const celery = options.celery ?? null;
  const actions = options.engine
    ? new Actions(options.engine, { prisma, audit: app.audit, logger: options.logger.child({ component: 'actions' }), workflows: options.workflows, celery })
    : null;
  if (actions) {
    await app.register(actionsPlugin, { prefix: '/api/v1', sessions: options.sessions, allowedOrigins: options.allowedOrigins, services: actions, schedules: options.schedules });
    await app.register(flowerActionsPlugin, { prefix: FLOWER_PREFIX, sessions: options.sessions, allowedOrigins: options.allowedOrigins, tasks: actions.tasks });
  } else if (celery) {
    // Only Celery clusters watched: their revoke, worker control and beat schedules, nothing that needs an engine app.
    await app.register(actionsPlugin, { prefix: '/api/v1', sessions: options.sessions, allowedOrigins: options.allowedOrigins, services: { app: null, tasks: null, celery }, schedules: options.schedules });
  }
  if (actions || celery) {
    const services = { app: options.engine, celery };
    await app.register(flowerControlPlugin, { prefix: FLOWER_PREFIX, sessions: options.sessions, allowedOrigins: options.allowedOrigins, services });
  }
  const live = new LiveFeed(
    app.server,
    {
      prisma,
      sessions: options.sessions,
      allowedOrigins: new Set(options.allowedOrigins.map((url) => new URL(url).origin)),
      parseCookie: (header) => app.parseCookie(header),
      app: options.engine,
      celery,
      schedules: options.schedules,
      logger: options.logger.child({ component: 'live' }),
      trustProxy: options.trustProxy,
    },
    options.live,
  );
  if (options.ingest) live.follow(options.ingest);
  const stopScheduleEdits = options.schedules.onEdited(() => live.scheduleEdited());
  if (actions) {
    live.followJobs(options.fanout ? options.fanout.shareJobs(actions.jobs) : actions.jobs);
  }
  return {
    actions,
    live,
    async close() {
      stopScheduleEdits();
      await live.close();
      await actions?.close();
    },
  };
}
