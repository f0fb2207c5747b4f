// The versioned REST API under /api/v1. Every route here is authenticated (the
// `authenticate` hook) except POST /auth/login; each feature folder adds its routes.
import type { FastifyPluginCallback } from 'fastify';
import { authenticate } from '../auth/authenticate.js';
import type { LoginLimiters } from '../auth/routes.js';
import { registerAuthRoutes } from '../auth/routes.js';
import type { SessionStore } from '../auth/session-store.js';
import { registerAuditRoutes } from '../audit/routes.js';
import { OpenApiRegistry } from './openapi.js';
import { registerTokenRoutes } from './tokens.js';
import { registerUserRoutes } from './users.js';

export const API_PREFIX = '/api/v1';

export interface ApiPluginOptions {
  sessions: SessionStore;
  limiters: LoginLimiters;
  allowedOrigins: string[];
  version: string;
  passwordCost: number;
}

export const apiPlugin: FastifyPluginCallback<ApiPluginOptions> = (app, options, done) => {
  const openapi = new OpenApiRegistry();
  const registrar = { app, openapi, prefix: API_PREFIX };
  app.addHook('onRequest', authenticate({ prisma: app.database.prisma, sessions: options.sessions, allowedOrigins: options.allowedOrigins }));
  // JSON only, never HTML: user-provided strings (emails, token names) can only ever be data.
  app.addHook('onSend', (_request, reply, payload, next) => {
    void reply.header('x-content-type-options', 'nosniff');
    void reply.header('cache-control', 'no-store');
    next(null, payload);
  });

  registerAuthRoutes(registrar, { sessions: options.sessions, limiters: options.limiters, passwordCost: options.passwordCost });
  registerUserRoutes(registrar, { sessions: options.sessions, passwordCost: options.passwordCost });
  registerTokenRoutes(registrar);
  registerAuditRoutes(registrar);

  let document: Record<string, unknown> | undefined;
  app.get('/openapi.json', { config: { access: 'viewer' } }, (_request, reply) => {
    document ??= openapi.document({ title: 'Lovage monitor API', version: options.version });
    return reply.send(document);
  });
  done();
};
