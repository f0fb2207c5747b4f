// `requireRole('operator')`: the preHandler every action route carries. A denied
// state-changing attempt is audited, so probing shows up in the log.
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Role } from '../api/schemas.js';
import { ForbiddenError, UnauthenticatedError } from '../errors.js';
import { roleAllows } from './principal.js';

export function requireRole(required: Role): preHandlerAsyncHookHandler {
  return async function checkRole(request: FastifyRequest) {
    const principal = request.principal;
    if (!principal) throw new UnauthenticatedError();
    if (roleAllows(principal.role, required)) return;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      await request.server.audit.record({
        principal,
        action: request.routeOptions.config.action ?? `${request.method} ${request.routeOptions.url ?? request.url}`,
        target: request.url,
        outcome: 'denied',
        error: 'FORBIDDEN',
        ip: request.ip,
      });
    }
    throw new ForbiddenError(`This needs the ${required} role; you have ${principal.role}`);
  };
}
