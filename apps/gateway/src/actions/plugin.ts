// The operator actions as a Fastify plugin mounted on /api/v1 beside the read
// API: the same authentication (session cookie with CSRF and Origin checks, or
// bearer token), the same JSON-only response headers.
import type { FastifyPluginCallback } from 'fastify';
import { authenticate } from '../auth/authenticate.js';
import type { SessionStore } from '../auth/session-store.js';
import { OpenApiRegistry } from '../api/openapi.js';
import { registerActionRoutes, registerControlRoutes, type ActionServices, type ControlServices } from './routes.js';

export interface ActionsPluginOptions {
  sessions: SessionStore;
  allowedOrigins: string[];
  /** Every action; or, for a gateway that only watches Celery clusters, revoke and worker control alone. */
  services: ActionServices | (ControlServices & { app: null });
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
  done();
};
