import { describe, expect, it } from 'vitest';
import { requiredScope, SCOPES_FOR_ROLE } from './scopes.js';

describe('requiredScope', () => {
  it.each([
    ['GET', '/api/v1/tasks', 'viewer', 'read'],
    ['GET', '/api/tasks', 'viewer', 'read'],
    ['GET', '/api/v1/tokens', 'admin', 'admin'],
    ['POST', '/api/v1/tasks/:id/retry', 'operator', 'tasks'],
    ['POST', '/api/v1/tasks/bulk', 'operator', 'tasks'],
    ['POST', '/api/task/revoke/:id', 'operator', 'tasks'],
    ['POST', '/api/v1/workers/:hostname/control', 'operator', 'workers'],
    ['POST', '/api/worker/pool/grow/:name', 'operator', 'workers'],
    ['POST', '/api/task/rate-limit/:name', 'operator', 'workers'],
    ['POST', '/api/v1/dead-letters/requeue', 'operator', 'workers'],
    ['POST', '/api/v1/queues/:name/purge', 'admin', 'admin'],
    ['POST', '/api/v1/queues/:name/pause', 'operator', 'workers'],
    ['POST', '/api/v1/queues/pause-all', 'operator', 'workers'],
    ['PUT', '/api/v1/queues/:name/concurrency', 'operator', 'workers'],
    ['PUT', '/api/v1/schedules/:id', 'operator', 'schedules'],
    ['PATCH', '/api/v1/users/:id', 'viewer', 'admin'],
    ['POST', '/api/v1/auth/logout', 'viewer', 'admin'],
  ] as const)('%s %s (%s) needs %s', (method, url, access, scope) => {
    expect(requiredScope(method, url, access)).toBe(scope);
  });

  it('never lets a role grant a token more than the role can do', () => {
    expect(SCOPES_FOR_ROLE.viewer).toEqual(['read']);
    expect(SCOPES_FOR_ROLE.operator).not.toContain('admin');
  });
});

describe('TOKEN_SCOPES', () => {
  it('are the values of the database enum token_scope', async () => {
    const { TokenScope } = await import('../generated/prisma/enums.js');
    const { TOKEN_SCOPES } = await import('./scopes.js');
    expect([...TOKEN_SCOPES]).toEqual(Object.values(TokenScope));
  });
});
