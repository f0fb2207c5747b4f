// Flower's action endpoints, called the way a Flower script calls them (a
// bearer token here, JSON or form bodies): the responses keep Flower's shapes.
import { postgresTest } from '@lovage/test-support/postgres';
import { describe, expect } from 'vitest';
import { startStack, taskInState } from './actions-support.js';
import { errorOf, signedIn } from './support.js';

describe('Flower-compatible actions', () => {
  postgresTest('async-apply sends a task by name and revoke revokes it, in Flower\'s shapes; viewers and bad input are refused', async ({ postgres }) => {
    const stack = await startStack(postgres.url, 'gw-flower');
    try {
      const { gateway, producer } = stack;
      await stack.startWorker();
      const admin = await signedIn(gateway, 'admin');
      const tokenOf = async (role: string) => ((await (await admin.request('POST', '/api/v1/tokens', { body: { name: role, role } })).json()) as { token: string }).token;
      const operator = await tokenOf('operator');
      const viewer = await tokenOf('viewer');
      const post = (path: string, token: string, body?: string, type = 'application/json') =>
        fetch(`${gateway.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': type }) },
          ...(body === undefined ? {} : { body }),
        });

      const applied = await post('/api/task/async-apply/tests.add', operator, JSON.stringify({ args: [20, 22] }));
      expect(applied.status).toBe(200);
      const body = (await applied.json()) as Record<string, string>;
      expect(Object.keys(body).sort()).toEqual(['state', 'task-id']);
      expect(body.state).toBe('PENDING');
      expect(await taskInState(gateway, body['task-id']!, ['SUCCESS'])).toMatchObject({ name: 'tests.add', resultPreview: '42' });

      // countdown in seconds, as Flower takes it.
      const later = await post('/api/task/async-apply/tests.add', operator, JSON.stringify({ args: [1, 1], countdown: 3600 }));
      const laterId = ((await later.json()) as Record<string, string>)['task-id']!;
      const row = await taskInState(gateway, laterId, ['PENDING']);
      expect(row.eta!.getTime() - Date.now()).toBeGreaterThan(3_500_000);

      const revoked = await post(`/api/task/revoke/${laterId}?terminate=true`, operator);
      expect(revoked.status).toBe(200);
      expect(await revoked.json()).toEqual({ message: `Revoked '${laterId}'` });
      expect(await producer.asyncResult(laterId).state()).toBe('REVOKED');

      // Form bodies, as `requests.post(url, data={'terminate': 'true'})` sends them.
      const other = await producer.sendTask('tests.add', [2, 2], { countdown: '1h' });
      const formRevoke = await post(`/api/task/revoke/${other.id}`, operator, 'terminate=true', 'application/x-www-form-urlencoded');
      expect(formRevoke.status).toBe(200);
      expect(await producer.asyncResult(other.id).state()).toBe('REVOKED');

      const denied = await post('/api/task/async-apply/tests.add', viewer, JSON.stringify({ args: [1, 2] }));
      expect(denied.status).toBe(403);
      const unknown = await post('/api/task/async-apply/tests.unknown', operator, JSON.stringify({ args: [] }));
      expect(unknown.status).toBe(404);
      expect((await errorOf(unknown)).message).toBe("Unknown task 'tests.unknown'");
      // kwargs reach the handler as one trailing object, as in Celery.
      const withKwargs = await post('/api/task/async-apply/tests.echoAll', operator, JSON.stringify({ args: ['x'], kwargs: { a: 1 } }));
      expect(withKwargs.status).toBe(200);
      const { 'task-id': kwargsId } = (await withKwargs.json()) as { 'task-id': string };
      expect(await producer.asyncResult(kwargsId).get({ timeout: 20_000 })).toEqual(['x', { a: 1 }]);
      const badCountdown = await post('/api/task/async-apply/tests.add', operator, JSON.stringify({ countdown: 'soon' }));
      expect({ status: badCountdown.status, field: (await errorOf(badCountdown)).field }).toEqual({ status: 400, field: 'countdown' });
      const badTerminate = await post(`/api/task/revoke/${laterId}?terminate=maybe`, operator);
      expect({ status: badTerminate.status, field: (await errorOf(badTerminate)).field }).toEqual({ status: 400, field: 'terminate' });
      expect((await fetch(`${gateway.url}/api/task/revoke/${laterId}`, { method: 'POST' })).status).toBe(401);

      const audit = await gateway.prisma.auditLog.findMany({ where: { action: { in: ['task.apply', 'task.revoke'] } }, orderBy: { id: 'asc' } });
      expect(audit.map((entry) => `${entry.action}:${entry.outcome}:${entry.actor}`)).toEqual([
        'task.apply:ok:token:operator',
        'task.apply:ok:token:operator',
        'task.revoke:ok:token:operator',
        'task.revoke:ok:token:operator',
        'task.apply:denied:token:viewer',
        'task.apply:failed:token:operator',
        'task.apply:ok:token:operator',
        'task.apply:failed:token:operator',
        'task.revoke:failed:token:operator',
      ]);
    } finally {
      await stack.close();
    }
  });
  postgresTest("worker and task control in Flower's shapes reach a Lovage worker; arguments come from the query, a form or JSON", async ({ postgres }) => {
    const stack = await startStack(postgres.url, 'gw-flower-control');
    try {
      const { gateway, app } = stack;
      const hostname = 'flower-control@test';
      await stack.startWorker({ hostname, concurrency: 2 });
      const admin = await signedIn(gateway, 'admin');
      const tokenOf = async (role: string) => ((await (await admin.request('POST', '/api/v1/tokens', { body: { name: role, role } })).json()) as { token: string }).token;
      const operator = await tokenOf('operator');
      const viewer = await tokenOf('viewer');
      const post = (path: string, token: string, body?: string, type = 'application/x-www-form-urlencoded') =>
        fetch(`${gateway.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': type }) },
          ...(body === undefined ? {} : { body }),
        });
      const stats = async () => (await app.control.inspect({ destination: hostname }).stats())[hostname]!;
      const messageOf = async (response: Response) => ({ status: response.status, body: await response.json() });

      expect(await messageOf(await post(`/api/worker/pool/grow/${hostname}?n=3`, operator))).toEqual({ status: 200, body: { message: `Growing '${hostname}' worker's pool by 3` } });
      expect((await stats()).pool.size).toBe(5);
      expect(await messageOf(await post(`/api/worker/pool/shrink/${hostname}`, operator, 'n=2'))).toEqual({ status: 200, body: { message: `Shrinking '${hostname}' worker's pool by 2` } });
      expect((await stats()).pool.size).toBe(3);
      expect(await messageOf(await post(`/api/worker/queue/add-consumer/${hostname}`, operator, JSON.stringify({ queue: 'extra' }), 'application/json'))).toEqual({
        status: 200,
        body: { message: 'now consuming from extra' },
      });
      expect((await app.control.inspect({ destination: hostname }).activeQueues())[hostname]!.map((queue) => queue.name)).toContain('extra');
      expect(await messageOf(await post(`/api/worker/queue/cancel-consumer/${hostname}?queue=extra`, operator))).toEqual({ status: 200, body: { message: 'no longer consuming from extra' } });
      // A bare rate is per second, as Celery reads it; time limits are seconds.
      expect((await post(`/api/task/rate-limit/tests.add?workername=${hostname}&ratelimit=5`, operator)).status).toBe(200);
      expect((await post(`/api/task/timeout/tests.add`, operator, `workername=${encodeURIComponent(hostname)}&soft=1.5&hard=3`)).status).toBe(200);
      const after = await stats();
      expect(after.rateLimits['tests.add']).toBe('5/s');
      expect(after.timeLimits['tests.add']).toEqual({ soft: 1_500, hard: 3_000 });

      // Refusals: a viewer, a missing or malformed argument (named), an unknown worker, shutdown without admin, pool restart.
      expect((await post(`/api/worker/pool/grow/${hostname}`, viewer)).status).toBe(403);
      const noQueue = await post(`/api/worker/queue/add-consumer/${hostname}`, operator);
      expect({ status: noQueue.status, field: (await errorOf(noQueue)).field }).toEqual({ status: 400, field: 'queue' });
      const badN = await post(`/api/worker/pool/grow/${hostname}?n=many`, operator);
      expect({ status: badN.status, field: (await errorOf(badN)).field }).toEqual({ status: 400, field: 'n' });
      const badRate = await post(`/api/task/rate-limit/tests.add?workername=${hostname}&ratelimit=fast`, operator);
      expect({ status: badRate.status, field: (await errorOf(badRate)).field }).toEqual({ status: 400, field: 'ratelimit' });
      expect((await post('/api/worker/pool/grow/nobody@nowhere', operator)).status).toBe(404);
      expect((await post(`/api/worker/shutdown/${hostname}`, operator)).status).toBe(403);
      const restart = await post(`/api/worker/pool/restart/${hostname}`, operator);
      expect({ status: restart.status, code: (await errorOf(restart)).code }).toEqual({ status: 409, code: 'NOT_SUPPORTED' });

      const audit = await gateway.prisma.auditLog.findMany({ where: { action: 'worker.control' }, orderBy: { id: 'asc' } });
      expect(audit.map((entry) => `${entry.outcome}:${entry.target}`).slice(0, 6)).toEqual([
        `ok:${hostname}`,
        `ok:${hostname}`,
        `ok:${hostname}`,
        `ok:${hostname}`,
        'ok:tests.add',
        'ok:tests.add',
      ]);
      expect(audit.filter((entry) => entry.outcome !== 'ok').map((entry) => entry.outcome)).toEqual(['denied', 'failed', 'failed', 'failed', 'failed', 'denied', 'failed']);

      expect(await messageOf(await post(`/api/worker/shutdown/${hostname}`, await tokenOf('admin')))).toEqual({ status: 200, body: { message: 'Shutting down!' } });
    } finally {
      await stack.close();
    }
  });
});
