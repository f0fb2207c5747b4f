// Cross-site request forgery against the action routes: a browser session's
// POST without the CSRF header, or from another site's Origin, is refused and
// changes nothing; a bearer token needs neither (browsers never attach one).
import { postgresTest } from '@lovage/test-support/postgres';
import { describe, expect } from 'vitest';
import { startStack, taskInState } from './actions-support.js';
import { errorOf, signedIn } from './support.js';

describe('CSRF on actions', () => {
  postgresTest('a forged revoke, apply, purge or schedule edit is refused and nothing happens', async ({ postgres }) => {
    const stack = await startStack(postgres.url, 'gw-csrf');
    try {
      const { gateway, producer, app } = stack;
      const admin = await signedIn(gateway, 'admin');
      const delayed = await producer.sendTask('tests.add', [1, 1], { countdown: '1h', queue: 'csrf-q' });
      await taskInState(gateway, delayed.id, ['PENDING']);
      const forged: [string, string, unknown][] = [
        ['POST', `/api/v1/tasks/${delayed.id}/revoke`, { terminate: true }],
        ['POST', '/api/v1/tasks', { task: 'tests.add', args: [1, 2] }],
        ['POST', '/api/v1/tasks/bulk', { action: 'revoke', ids: [delayed.id] }],
        ['POST', '/api/v1/queues/csrf-q/purge', undefined],
        ['POST', '/api/v1/schedules', { name: 'forged', task: 'tests.add', schedule: '1h' }],
        ['POST', `/api/task/revoke/${delayed.id}?terminate=true`, undefined],
        ['POST', '/api/task/async-apply/tests.add', { args: [1, 2] }],
      ];
      for (const [method, path, body] of forged) {
        // No x-csrf-token: what a form or fetch from another site can send with the user's cookies.
        const missing = await admin.request(method, path, { noCsrf: true, ...(body === undefined ? {} : { body }) });
        expect({ path, status: missing.status, code: (await errorOf(missing)).code }).toEqual({ path, status: 403, code: 'CSRF_FAILED' });
        // The token present but from another site's page: the Origin check refuses it.
        const crossSite = await admin.request(method, path, { headers: { origin: 'https://evil.example' }, ...(body === undefined ? {} : { body }) });
        expect({ path, status: crossSite.status, code: (await errorOf(crossSite)).code }).toEqual({ path, status: 403, code: 'ORIGIN_FORBIDDEN' });
      }
      expect(await producer.asyncResult(delayed.id).state()).toBe('PENDING');
      expect((await app.queues.stats('csrf-q')).delayed).toBe(1);
      expect(await app.schedules.get('forged')).toBeNull();
      expect(await gateway.prisma.task.count()).toBe(1);

      // The dashboard's origin with the header is fine.
      const fromDashboard = await admin.request('POST', `/api/v1/tasks/${delayed.id}/revoke`, { headers: { origin: 'http://dashboard.test:3000' }, body: {} });
      expect(fromDashboard.status).toBe(200);

      // A bearer token needs no CSRF header.
      const created = await admin.request('POST', '/api/v1/tokens', { body: { name: 'ci', role: 'operator' } });
      const { token } = (await created.json()) as { token: string };
      const purge = await fetch(`${gateway.url}/api/v1/queues/csrf-q/purge`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      // An operator token may not purge (admin only), but it got past CSRF to the role check.
      expect(purge.status).toBe(403);
      expect((await errorOf(purge)).code).toBe('FORBIDDEN');
    } finally {
      await stack.close();
    }
  });
});
