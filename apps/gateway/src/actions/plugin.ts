// The operator actions as a Fastify plugin mounted on /api/v1 beside the read
// API: the same authentication (session cookie with CSRF and Origin checks, or
// bearer token), the same JSON-only response headers.
import type { FastifyPluginCallback } from 'fastify';
import { authenticate } from '../auth/authenticate.js';
import type { SessionStore } from '../auth/session-store.js';
import { OpenApiRegistry } from '../api/openapi.js';
import type { ScheduleSources } from '../api/schedule-sources.js';
import { registerActionRoutes, registerControlRoutes, registerScheduleActions, type ActionServices, type ControlServices } from './routes.js';

export interface ActionsPluginOptions {
  sessions: SessionStore;
  allowedOrigins: string[];
  /** Every action; or, for a gateway that only watches Celery clusters, revoke and worker control alone. */
  services: ActionServices | (ControlServices & { app: null });
  /** The schedule stores the schedule actions edit (the own app's and each watched cluster's beat's); none: no schedule actions. */
  schedules?: ScheduleSources | undefined;
  /** The API's OpenAPI registry, when the caller wants these routes in its document. */
  openapi?: OpenApiRegistry;
}

export const actionsPlugin: FastifyPluginCallback<ActionsPluginOptions> = (app, options, done) => {
  app.addHook('onRequest', authenticate({ prisma: app.database.prisma, sessions: options.sessions, allowedOrigins: options.allowedOrigins }));
  app.addHook('onSend', (_request, reply, payload, next) => {
    void reply.header('x-content-type-options', 'nosniff');
    void reply.header('cache-control', 'no-store');
    next(null, payload);
  });
  const registrar = { app, openapi: options.openapi ?? new OpenApiRegistry(), prefix: '/api/v1' };
  const { services } = options;
  if (services.app === null) registerControlRoutes(registrar, services);
  else registerActionRoutes(registrar, services);
  if (options.schedules?.available) registerScheduleActions(registrar, options.schedules);
  done();
};
