// Task args, results and errors are user data. Payloads with <script> and
// <img onerror> go through a real worker into the database and come back from
// the API and the live feed unchanged, as JSON strings (application/json,
// nosniff), never as markup the gateway renders.
import { postgresTest } from '@lovage/test-support/postgres';
import { io, type Socket } from 'socket.io-client';
import { describe, expect } from 'vitest';
import type { LiveClientEvents, LiveServerEvents, LiveTaskUpdate } from '../src/live/schemas.js';
import { startStack, taskInState, until } from './actions-support.js';
import { signedIn } from './support.js';

const SCRIPT = '<script>alert("xss")</script>';
const IMG = '<img src=x onerror=alert(1)>';

function expectJson(response: Response): void {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
}

describe('user data stays data', () => {
  postgresTest('script and onerror payloads in args, results and errors come back verbatim as JSON from the API and the live feed', async ({ postgres }) => {
    const stack = await startStack(postgres.url, 'gw-xss');
    try {
      const { gateway, producer } = stack;
      await stack.startWorker();
      const operator = await signedIn(gateway, 'operator');
      const cookie = [...operator.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
      const socket: Socket<LiveServerEvents, LiveClientEvents> = io(gateway.url, { transports: ['websocket'], extraHeaders: { cookie }, reconnection: false });
      const updates: LiveTaskUpdate[] = [];
      try {
        await new Promise<void>((resolve, reject) => {
          socket.on('connect', () => resolve());
          socket.on('connect_error', reject);
        });
        const failingId = crypto.randomUUID();
        await socket.timeout(5_000).emitWithAck('subscribe', { room: `task:${failingId}` });
        socket.on('task:update', (update) => updates.push(update));

        const echoed = await producer.sendTask('tests.echo', [SCRIPT]);
        await producer.sendTask('tests.fail', [IMG], { taskId: failingId });
        await taskInState(gateway, echoed.id, ['SUCCESS']);
        await taskInState(gateway, failingId, ['FAILURE']);

        const detail = await operator.request('GET', `/api/v1/tasks/${echoed.id}`);
        expectJson(detail);
        const text = await detail.text();
        expect(text).toContain(JSON.stringify(SCRIPT).slice(1, -1));
        const echoedTask = (JSON.parse(text) as { task: { args: unknown; resultPreview: string } }).task;
        expect(echoedTask.args).toEqual([SCRIPT]);
        expect(JSON.parse(echoedTask.resultPreview)).toBe(SCRIPT);

        const failed = await operator.request('GET', `/api/v1/tasks/${failingId}`);
        expectJson(failed);
        const failedTask = ((await failed.json()) as { task: { args: unknown; errorMessage: string; attempts: { errorMessage: string }[] } }).task;
        expect(failedTask.args).toEqual([IMG]);
        expect(failedTask.errorMessage).toBe(IMG);
        expect(failedTask.attempts.at(-1)?.errorMessage).toBe(IMG);

        const list = await operator.request('GET', `/api/v1/tasks?name=tests.fail`);
        expectJson(list);
        expect(((await list.json()) as { tasks: { errorMessage: string }[] }).tasks[0]?.errorMessage).toBe(IMG);

        // Error messages that echo input are JSON too.
        const unknown = await operator.request('POST', '/api/v1/tasks', { body: { task: SCRIPT, args: [] } });
        expect(unknown.status).toBe(404);
        expectJson(unknown);
        expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain(JSON.stringify(SCRIPT));

        const retried = await operator.request('POST', `/api/v1/tasks/${failingId}/retry`);
        expectJson(retried);
        const { retriedIntoId } = (await retried.json()) as { retriedIntoId: string };
        const copy = await taskInState(gateway, retriedIntoId, ['FAILURE']);
        expect(copy.args).toEqual([IMG]);

        await until(() => updates.some((update) => update.task.state === 'FAILURE'), 'live update of the failure');
        const live = updates.find((update) => update.task.state === 'FAILURE')!;
        expect(live.task.errorMessage).toBe(IMG);
        expect(live.task.args).toEqual([IMG]);
      } finally {
        socket.close();
      }
    } finally {
      await stack.close();
    }
  });
});
