// Flower's two action endpoints, in Flower's shape, so scripts written for
// Flower keep working against the gateway (with a bearer token):
//   POST /api/task/async-apply/:name  {"args": [...], "kwargs": {}, "countdown": 10, "queue": "q", ...}
//        → {"task-id": "...", "state": "PENDING"}
//   POST /api/task/revoke/:id?terminate=true
//        → {"message": "Revoked '<id>'"}
// Flower takes countdown and a numeric expires in seconds, and eta/expires as
// ISO date-times. Both need the operator role and are audited like the v1 routes.
import type { FastifyPluginCallback } from 'fastify';
import { z } from 'zod';
import type { TaskActions } from '../actions/task-actions.js';
import { defineAction } from '../actions/define-action.js';
import { OpenApiRegistry } from '../api/openapi.js';
import { authenticate } from '../auth/authenticate.js';
import type { SessionStore } from '../auth/session-store.js';
import { NotFoundError } from '../errors.js';

export const FLOWER_PREFIX = '/api';

const seconds = z.number().min(0, 'must not be negative').finite();
const isoDateTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' });

const AsyncApplyBodySchema = z
  .object({
    args: z.array(z.unknown()).max(10_000).default([]),
    kwargs: z.record(z.string(), z.unknown()).default({}),
    countdown: seconds.optional(),
    eta: isoDateTime.optional(),
    expires: z.union([seconds, isoDateTime]).optional(),
    queue: z.string().min(1).max(200).optional(),
    priority: z.number().int().min(0, 'must be 0-9').max(9, 'must be 0-9').optional(),
    task_id: z.string().min(1).max(200).optional(),
  })
  .default({ args: [], kwargs: {} });

const NameParamsSchema = z.object({ name: z.string().min(1).max(200) });
const IdParamsSchema = z.object({ id: z.string().min(1).max(200) });

/** Flower reads booleans as Tornado does: 'true', 'True', '1' (and JSON true from a body). */
const flowerBool = z
  .union([z.boolean(), z.string().regex(/^(true|false|1|0)$/i, 'must be true or false')])
  .transform((value) => value === true || value === '1' || (typeof value === 'string' && value.toLowerCase() === 'true'));

const RevokeQuerySchema = z.object({ terminate: flowerBool.optional(), signal: z.string().max(20).optional() });
const RevokeBodySchema = z.object({ terminate: flowerBool.optional(), signal: z.string().max(20).optional() }).loose().optional();

export interface FlowerActionsOptions {
  sessions: SessionStore;
  allowedOrigins: string[];
  tasks: TaskActions;
}

export const flowerActionsPlugin: FastifyPluginCallback<FlowerActionsOptions> = (app, options, done) => {
  app.addHook('onRequest', authenticate({ prisma: app.database.prisma, sessions: options.sessions, allowedOrigins: options.allowedOrigins }));
  // Flower's clients often post forms (`requests.post(url, data=...)`); read them as flat objects.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, next) => {
    next(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  const registrar = { app, openapi: new OpenApiRegistry(), prefix: FLOWER_PREFIX };
  const { tasks } = options;

  defineAction(registrar, {
    method: 'POST',
    url: '/task/async-apply/:name',
    summary: 'Flower: apply a task by name',
    tag: 'flower',
    access: 'operator',
    action: 'task.apply',
    params: NameParamsSchema,
    body: AsyncApplyBodySchema,
    response: z.object({ 'task-id': z.string(), state: z.string() }),
    target: (params) => params.name ?? null,
    async handler({ params, body }) {
      if (!(await tasks.isKnownTask(params.name))) throw new NotFoundError(`Unknown task '${params.name}'`);
      const sent = await tasks.send(params.name, body.args, {
        queue: body.queue,
        priority: body.priority,
        countdown: body.countdown === undefined ? undefined : Math.round(body.countdown * 1000),
        eta: body.eta === undefined ? undefined : new Date(body.eta),
        expires: typeof body.expires === 'number' ? Math.round(body.expires * 1000) : body.expires,
        taskId: body.task_id,
        kwargs: body.kwargs,
        headers: { via: 'flower-api' },
      });
      return { response: { 'task-id': sent.id, state: 'PENDING' }, audit: { taskId: sent.id, via: 'flower-api' } };
    },
  });

  defineAction(registrar, {
    method: 'POST',
    url: '/task/revoke/:id',
    summary: 'Flower: revoke a task (terminate=true also stops it when running)',
    tag: 'flower',
    access: 'operator',
    action: 'task.revoke',
    params: IdParamsSchema,
    query: RevokeQuerySchema,
    body: RevokeBodySchema,
    response: z.object({ message: z.string() }),
    target: (params) => params.id ?? null,
    async handler({ params, query, body }) {
      const terminate = query.terminate ?? body?.terminate ?? false;
      // Like Flower, revoke whatever the id: a task the monitor has not seen yet may still be queued.
      await tasks.revokeAny(params.id, terminate);
      return { response: { message: `Revoked '${params.id}'` }, audit: { terminate, via: 'flower-api' } };
    },
  });
  done();
};
