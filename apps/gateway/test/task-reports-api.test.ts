// A task's progress and log through the API (GET /tasks/:id, GET /tasks/:id/logs)
// and the live feed (task:update's progress, task:logs), on a real Postgres.
import type { LovageEvent } from '@lovage/engine';
import { postgresTest } from '@lovage/test-support/postgres';
import { io, type Socket } from 'socket.io-client';
import { describe, expect } from 'vitest';
import type { TaskDetailResponse, TaskLogPage } from '../src/api/schemas.js';
import type { LiveClientEvents, LiveServerEvents } from '../src/live/schemas.js';
import { applyBatch } from '../src/ingest/apply-batch.js';
import { startStack, until } from './actions-support.js';
import { producer } from './ingest-support.js';
import { errorOf, signedIn, startGateway, type Client } from './support.js';

const T0 = Date.now() - 60_000;

async function getJson<T>(client: Client, path: string): Promise<T> {
  const response = await client.request('GET', path);
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Task rep-1 with progress and eight log lines, two of them at the same instant (the id orders them). */
function seed(): LovageEvent[] {
  const worker = producer('worker-r', 7, T0);
  const fields = { id: 'rep-1', name: 'reports.build', queue: 'default', retries: 0 };
  const events: LovageEvent[] = [worker({ type: 'task-started', ...fields }, 0)];
  for (let i = 0; i < 8; i++) events.push(worker({ type: 'task-log', ...fields, level: i === 7 ? 'error' : 'info', message: `line ${i}\n  detail ${i}`, fields: { i } }, 10 + Math.min(i, 6) * 10));
  events.push(worker({ type: 'task-progress', ...fields, progress: 0.5, meta: { page: 4 } }, 90));
  events.push(worker({ type: 'task-started', ...fields, id: 'plain-1', name: 'plain' }, 0));
  return events;
}

async function allLogs(client: Client, order: 'asc' | 'desc', limit: number): Promise<string[]> {
  const messages: string[] = [];
  let cursor: string | null = null;
  do {
    const page: TaskLogPage = await getJson<TaskLogPage>(client, `/api/v1/tasks/rep-1/logs?order=${order}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(page.logs.length).toBeLessThanOrEqual(limit);
    messages.push(...page.logs.map((line) => line.message.split('\n')[0]!));
    cursor = page.nextCursor;
  } while (cursor);
  return messages;
}

describe('task progress and logs API', () => {
  postgresTest("shows the task's latest progress and pages through its log lines in either order without gaps or repeats", async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      await applyBatch(gateway.prisma, seed());
      const viewer = await signedIn(gateway, 'viewer');
      const { task } = await getJson<TaskDetailResponse>(viewer, '/api/v1/tasks/rep-1');
      expect(task.progress).toEqual({ value: 0.5, meta: { page: 4 }, at: new Date(T0 + 90).toISOString() });
      expect((await getJson<TaskDetailResponse>(viewer, '/api/v1/tasks/plain-1')).task.progress).toBeNull();

      const first = await getJson<TaskLogPage>(viewer, '/api/v1/tasks/rep-1/logs');
      expect(first.nextCursor).toBeNull();
      expect(first.logs[0]).toMatchObject({ attempt: 1, level: 'info', message: 'line 0\n  detail 0', fields: { i: 0 }, at: new Date(T0 + 10).toISOString() });
      expect(first.logs.at(-1)).toMatchObject({ level: 'error', message: 'line 7\n  detail 7' });
      const ascending = Array.from({ length: 8 }, (_, i) => `line ${i}`);
      expect(await allLogs(viewer, 'asc', 3)).toEqual(ascending);
      expect(await allLogs(viewer, 'desc', 3)).toEqual([...ascending].reverse());
      expect(await getJson<TaskLogPage>(viewer, '/api/v1/tasks/plain-1/logs')).toEqual({ logs: [], nextCursor: null });

      expect((await viewer.request('GET', '/api/v1/tasks/nope/logs')).status).toBe(404);
      const badOrder = await viewer.request('GET', '/api/v1/tasks/rep-1/logs?order=sideways');
      expect(badOrder.status).toBe(400);
      expect((await errorOf(badOrder)).field).toBe('order');
      expect((await viewer.request('GET', '/api/v1/tasks/rep-1/logs?cursor=bogus')).status).toBe(400);
    } finally {
      await gateway.close();
    }
  });

  postgresTest('a client in task:<id> sees the progress move and each log line arrive while the task runs', async ({ postgres }) => {
    const stack = await startStack(postgres.url, 'gw-task-reports');
    let socket: Socket<LiveServerEvents, LiveClientEvents> | undefined;
    try {
      const { gateway, producer: client } = stack;
      await stack.startWorker();
      const viewer = await signedIn(gateway, 'viewer');
      const cookie = [...viewer.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
      const connected: Socket<LiveServerEvents, LiveClientEvents> = io(gateway.url, { path: '/socket.io', transports: ['websocket'], extraHeaders: { cookie }, reconnection: false });
      socket = connected;
      await new Promise<void>((resolve, reject) => {
        connected.on('connect', () => resolve());
        connected.on('connect_error', reject);
      });
      const id = crypto.randomUUID();
      expect(await connected.timeout(5_000).emitWithAck('subscribe', { room: `task:${id}` })).toEqual({ ok: true, room: `task:${id}` });
      const progress: number[] = [];
      const lines: string[] = [];
      let finalState = '';
      connected.on('task:update', ({ task }) => {
        if (task.progress && progress.at(-1) !== task.progress.value) progress.push(task.progress.value);
        finalState = task.state;
      });
      connected.on('task:logs', ({ taskId, logs }) => {
        expect(taskId).toBe(id);
        lines.push(...logs.map((line) => line.message));
      });
      await client.sendTask('tests.report', [4, 300], { taskId: id });
      await until(() => finalState === 'SUCCESS' && lines.length === 4, 'the task succeeded and its four lines arrived');
      // Seen while it ran, one step after another, not only at the end.
      expect(progress.length).toBeGreaterThanOrEqual(2);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      expect(progress.at(-1)).toBe(1);
      expect(lines).toEqual(['step 1\nof 4', 'step 2\nof 4', 'step 3\nof 4', 'step 4\nof 4']);
    } finally {
      socket?.close();
      await stack.close();
    }
  });
});
