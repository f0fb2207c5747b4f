// What an API token may do. A token carries the role of its creator's choice
// and, besides, a set of scopes chosen at creation: a Prometheus or CI token
// that only reads, a token that only retries tasks. A request by token needs
// both its route's role and its route's scope; a browser session is governed by
// the user's role alone.
//
// The scope of a route follows from its area of the API, so every route,
// including ones added later, has one without saying so:
//   GET and HEAD                                 read (admin for admin-only reads)
//   tasks, task (Flower), bulk jobs              tasks
//   workers, worker (Flower), queues, dead letters workers
//     and Flower's task/rate-limit, task/timeout   (they change a worker's settings)
//   schedules                                    schedules
//   users, tokens, anything else that changes    admin
import type { Role, TokenScope } from '../api/schemas.js';

export { TOKEN_SCOPES, SCOPES_FOR_ROLE, type TokenScope } from '../api/schemas.js';

const AREAS: [RegExp, TokenScope][] = [
  [/^\/task\/(rate-limit|timeout)\//, 'workers'],
  [/^\/(tasks|task|jobs)(\/|$)/, 'tasks'],
  [/^\/(workers|worker|queues|dead-letters)(\/|$)/, 'workers'],
  [/^\/schedules(\/|$)/, 'schedules'],
];

/**
 * The scope a route needs. `url` is the route's pattern as Fastify registered it,
 * with its /api or /api/v1 prefix.
 */
export function requiredScope(method: string, url: string, access: Role | 'public'): TokenScope {
  if (access === 'admin') return 'admin';
  if (method === 'GET' || method === 'HEAD') return 'read';
  const path = url.replace(/^\/api(\/v\d+)?/, '');
  for (const [pattern, scope] of AREAS) if (pattern.test(path)) return scope;
  return 'admin';
}
