// Declares an operator action: like defineRoute (zod at the boundary, role
// check, OpenAPI entry), but every outcome is audited with the action's real
// target (a task id, queue, worker hostname or schedule name): `ok` with the
// handler's summary, `failed` with the error code, and `denied` by requireRole.
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Prisma } from '../generated/prisma/client.js';
import type { Principal } from '../auth/principal.js';
import { requireRole } from '../auth/require-role.js';
import { ForbiddenError, GatewayError, UnauthenticatedError } from '../errors.js';
import { documentRoute, parseRequest, type Out, type Result, type RouteRegistrar } from '../api/route.js';
import type { Role } from '../api/schemas.js';
import { toGatewayError } from './engine-errors.js';


export interface ActionContext<P, Q, B> {
  request: FastifyRequest;
  params: P;
  query: Q;
  body: B;
  principal: Principal;
}

export interface ActionOutcome<R> {
  /** The response body. */
  response: R;
  /** What the audit entry keeps besides the request (counts, the new task id...). */
  audit?: Record<string, unknown>;
}

export interface ActionSpec<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined, R extends z.ZodType | undefined> {
  method: 'POST' | 'PUT' | 'DELETE';
  url: string;
  summary: string;
  tag: string;
  access: Role;
  /** The audit action, e.g. `task.revoke`. */
  action: string;
  params?: P;
  query?: Q;
  body?: B;
  status?: number;
  response?: R;
  /** The audit target, from the raw params and body (so refused input is still attributed). */
  target(params: Record<string, string | undefined>, body: Record<string, unknown>): string | null;
  handler(context: ActionContext<Out<P>, Out<Q>, Out<B>>): Promise<ActionOutcome<Result<R>>>;
}

/** Bounded JSON for the audit's params column (a bulk request may list 100,000 ids). */
function auditParams(value: unknown): Prisma.InputJsonValue | null {
  if (value === undefined || value === null) return null;
  const text = JSON.stringify(value);
  if (text.length <= 4_000) return JSON.parse(text) as Prisma.InputJsonValue;
  return { truncated: true, preview: text.slice(0, 4_000) };
}

export function defineAction<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  R extends z.ZodType | undefined = undefined,
>(registrar: RouteRegistrar, spec: ActionSpec<P, Q, B, R>): void {
  const status = documentRoute(registrar, spec);
  registrar.app.route({
    method: spec.method,
    url: spec.url,
    config: { access: spec.access, action: spec.action },
    preHandler: requireRole(spec.access),
    handler: async (request, reply) => {
      const rawParams = (request.params ?? {}) as Record<string, string | undefined>;
      const rawBody = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, unknown>;
      const target = spec.target(rawParams, rawBody)?.slice(0, 300) ?? null;
      const principal = request.principal;
      if (!principal) throw new UnauthenticatedError();
      let outcome: ActionOutcome<Result<R>>;
      try {
        outcome = await spec.handler({ request, principal, ...parseRequest(spec, request) });
      } catch (caught) {
        const error = toGatewayError(caught);
        await request.server.audit.record({
          principal,
          action: spec.action,
          target,
          params: auditParams(request.body),
          // A handler's own permission check (e.g. shutdown needs admin) is a denial, like requireRole's.
          outcome: error instanceof ForbiddenError ? 'denied' : 'failed',
          error: error instanceof GatewayError ? error.code : 'INTERNAL',
          ip: request.ip,
        });
        throw error;
      }
      await request.server.audit.record({
        principal,
        action: spec.action,
        target,
        params: auditParams({ ...(request.body && typeof request.body === 'object' ? (request.body) : {}), ...outcome.audit }),
        outcome: 'ok',
        ip: request.ip,
      });
      reply.code(status);
      if (status === 204 || outcome.response === undefined) return reply.send();
      return reply.send(outcome.response);
    },
  });
}
