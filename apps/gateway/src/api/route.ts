// Declares an API route once: zod schemas validate params, query and body at the
// boundary, the role check runs as a preHandler, and the route is recorded for
// the OpenAPI document.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { GatewayError, UnauthenticatedError } from '../errors.js';
import type { Principal } from '../auth/principal.js';
import { requireRole } from '../auth/require-role.js';
import type { OpenApiRegistry } from './openapi.js';
import type { Role } from './schemas.js';
import { parseRequestPart } from './validation.js';

export type Out<S> = S extends z.ZodType ? z.output<S> : undefined;
export type Result<S> = S extends z.ZodType ? z.input<S> : undefined;

export interface RouteContext<P, Q, B> {
  request: FastifyRequest;
  reply: FastifyReply;
  params: P;
  query: Q;
  body: B;
  /** The authenticated caller (throws 401 on a public route without one). */
  principal: Principal;
}

export interface RouteSpec<
  P extends z.ZodType | undefined,
  Q extends z.ZodType | undefined,
  B extends z.ZodType | undefined,
  R extends z.ZodType | undefined,
> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Relative to the API prefix, e.g. `/users/:id`. */
  url: string;
  summary: string;
  tag: string;
  /** The least role allowed, or `public` (login only). */
  access: Role | 'public';
  /** The audit action (state-changing routes): denied and failed attempts are recorded under it. */
  action?: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Success status (200 by default; 204 means no body). */
  status?: number;
  response?: R;
  handler(context: RouteContext<Out<P>, Out<Q>, Out<B>>): Promise<Result<R>>;
}

export interface RouteRegistrar {
  app: FastifyInstance;
  openapi: OpenApiRegistry;
  /** The prefix the routes are mounted under (for the OpenAPI paths). */
  prefix: string;
}

/** What the OpenAPI document and the validation need to know of a route or an action. */
export interface DocumentedRoute<P, Q, B, R> {
  method: string;
  url: string;
  summary: string;
  tag: string;
  access: Role | 'public';
  params?: P;
  query?: Q;
  body?: B;
  status?: number;
  response?: R;
}

/** Records the route in the OpenAPI document; returns its success status. */
export function documentRoute<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined, R extends z.ZodType | undefined>(
  registrar: RouteRegistrar,
  spec: DocumentedRoute<P, Q, B, R>,
): number {
  const status = spec.status ?? 200;
  registrar.openapi.add({
    method: spec.method,
    url: `${registrar.prefix}${spec.url}`,
    summary: spec.summary,
    tag: spec.tag,
    access: spec.access,
    params: spec.params,
    query: spec.query,
    body: spec.body,
    status,
    response: spec.response,
  });
  return status;
}

/** The request's params, query and body, each parsed with its schema (a 400 naming the field on bad input). */
export function parseRequest<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined>(
  spec: { params?: P; query?: Q; body?: B },
  request: FastifyRequest,
): { params: Out<P>; query: Out<Q>; body: Out<B> } {
  return {
    params: (spec.params ? parseRequestPart(spec.params, request.params, 'params') : undefined) as Out<P>,
    query: (spec.query ? parseRequestPart(spec.query, request.query, 'query') : undefined) as Out<Q>,
    body: (spec.body ? parseRequestPart(spec.body, request.body, 'body') : undefined) as Out<B>,
  };
}

export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  R extends z.ZodType | undefined = undefined,
>(registrar: RouteRegistrar, spec: RouteSpec<P, Q, B, R>): void {
  const status = documentRoute(registrar, spec);
  registrar.app.route({
    method: spec.method,
    url: spec.url,
    config: { access: spec.access, action: spec.action },
    ...(spec.access === 'public' ? {} : { preHandler: requireRole(spec.access) }),
    handler: async (request, reply) => {
      const context = {
        request,
        reply,
        ...parseRequest(spec, request),
        get principal(): Principal {
          if (!request.principal) throw new UnauthenticatedError();
          return request.principal;
        },
      };
      let result: Result<R>;
      try {
        result = await spec.handler(context);
      } catch (error) {
        // A refused action is audited with its error code; successes are audited by the handler, which knows the target.
        if (spec.action && error instanceof GatewayError) {
          const target = (request.params as { id?: unknown } | undefined)?.id;
          await request.server.audit.record({
            principal: request.principal,
            action: spec.action,
            target: typeof target === 'string' ? target.slice(0, 200) : null,
            outcome: 'failed',
            error: error.code,
            ip: request.ip,
          });
        }
        throw error;
      }
      reply.code(status);
      if (status === 204 || result === undefined) return reply.send();
      return reply.send(result);
    },
  });
}
