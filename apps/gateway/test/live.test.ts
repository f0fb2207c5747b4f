// The socket.io live feed against a real gateway, engine, worker, Redis and
// Postgres: authentication (cookie, token, refusals), a task followed from
// received to succeeded, filtered task lists, coalescing under a burst, and the
// workers, queues, schedules and jobs rooms.
import { postgresTest } from '@lovage/test-support/postgres';
import { io, type Socket } from 'socket.io-client';
import { describe, expect } from 'vitest';
import type { LiveAck, LiveClientEvents, LiveServerEvents, LiveSubscribeRequest } from '../src/live/schemas.js';
import type { Gateway } from '../src/server.js';
import { sleep, startStack, taskInState, until } from './actions-support.js';
import { signedIn, type Client } from './support.js';

type LiveSocket = Socket<LiveServerEvents, LiveClientEvents>;

function connect(gateway: Gateway, options: { client?: Client; token?: string; origin?: string } = {}): Promise<LiveSocket> {
  const headers: Record<string, string> = {};
  if (options.client) headers.cookie = [...options.client.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  if (options.origin) headers.origin = options.origin;
  const socket: LiveSocket = io(gateway.url, {
    path: '/socket.io',
    transports: ['websocket'],
    extraHeaders: headers,
    reconnection: false,
    ...(options.token ? { auth: { token: options.token } } : {}),
  });
  return new Promise((resolve, reject) => {
    socket.on('connect', () => resolve(socket));
    socket.on('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

function subscribe(socket: LiveSocket, request: LiveSubscribeRequest): Promise<LiveAck> {
  return socket.timeout(5_000).emitWithAck('subscribe', request);
}

describe('live feed', () => {
  postgresTest('refuses sockets without a session or token and from foreign origins; accepts the session cookie and an API token', async ({ postgres }) => {
    const stack = await startStack(postgres.url, 'gw-live-auth');
    const sockets: LiveSocket[] = [];
    try {
      const { gateway } = stack;
      await expect(connect(gateway)).rejects.toThrow('UNAUTHENTICATED');
      await expect(connect(gateway, { token: 'lvg_not-a-real-token' })).rejects.toThrow('INVALID_TOKEN');
      const viewer = await signedIn(gateway, 'viewer');
      await expect(connect(gateway, { client: viewer, origin: 'http://evil.test' })).rejects.toThrow('ORIGIN_FORBIDDEN');

      sockets.push(await connect(gateway, { client: viewer, origin: 'http://dashboard.test:3000' }));
      const admin = await signedIn(gateway, 'admin');
      const created = await admin.request('POST', '/api/v1/tokens', { body: { name: 'live', role: 'viewer' } });
      const { token } = (await created.json()) as { token: string };
      const byToken = await connect(gateway, { token });
      sockets.push(byToken);
      expect(await subscribe(byToken, { room: 'overview' })).toEqual({ ok: true, room: 'overview' });
      expect(await subscribe(byToken, { room: 'bogus' })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'room' } });
      expect(await subscribe(byToken, { room: 'workers', filter: { name: 'x' } })).toMatchObject({ ok: false, error: { field: 'filter' } });
    } finally {
      for (const socket of sockets) socket.close();
      await stack.close();
    }
  });

  postgresTest('a signed-out session loses its socket at the next check', async ({ postgres }) => {
    const stack = await startStack(postgres.url, 'gw-live-logout');
    try {
      // Restart the gateway with a short re-check interval.
      await stack.gateway.close();
      const { startGateway } = await import('./support.js');
      const gateway = await startGateway(postgres.url, { app: stack.app, live: { revalidateMs: 200 } });
      try {
        const viewer = await signedIn(gateway, 'viewer');
        const socket = await connect(gateway, { client: viewer });
        let disconnected = false;
        socket.on('disconnect', () => {
          disconnected = true;
        });
        await sleep(500);
        expect(disconnected).toBe(false);
        expect((await viewer.request('POST', '/api/v1/auth/logout')).status).toBeLessThan(300);
        await until(() => disconnected, 'socket closed after sign-out', 5_000);
      } finally {
        await gateway.close();
      }
    } finally {
      await stack.close();
    }
  });

  postgresTest('a client in task:<id> and tasks sees a task go from received to succeeded', async ({ postgres }) => {
    const stack = await startStack(postgres.url, 'gw-live-task');
    const sockets: LiveSocket[] = [];
    try {
      const { gateway, producer } = stack;
      await stack.startWorker();
      const viewer = await signedIn(gateway, 'viewer');
      const list = await connect(gateway, { client: viewer });
      const detail = await connect(gateway, { client: viewer });
      sockets.push(list, detail);
      expect(await subscribe(list, { room: 'tasks' })).toEqual({ ok: true, room: 'tasks' });

      const listStates = new Map<string, string[]>();
      list.on('tasks:update', ({ tasks }) => {
        for (const task of tasks) listStates.set(task.id, [...(listStates.get(task.id) ?? []), task.state]);
      });
      // The id is chosen up front, so the detail room is joined before the task exists.
      const id = crypto.randomUUID();
      expect(await subscribe(detail, { room: `task:${id}` })).toEqual({ ok: true, room: `task:${id}` });
      const detailStates: string[] = [];
      const attempts: string[] = [];
      detail.on('task:update', ({ task, attempts: changed }) => {
        expect(task.id).toBe(id);
        detailStates.push(task.state);
        for (const attempt of changed) attempts.push(attempt.outcome);
      });
      await producer.sendTask('tests.sleep', [600], { taskId: id });
      await until(() => detailStates.includes('SUCCESS'), 'task:update with SUCCESS');
      await until(() => listStates.get(id)?.includes('SUCCESS'), 'tasks:update with SUCCESS');

      const order = ['PENDING', 'RECEIVED', 'STARTED', 'SUCCESS'];
      expect(detailStates.at(-1)).toBe('SUCCESS');
      expect(detailStates.some((state) => state === 'RECEIVED' || state === 'STARTED')).toBe(true);
      expect(detailStates.map((state) => order.indexOf(state))).toEqual([...detailStates.map((state) => order.indexOf(state))].sort((a, b) => a - b));
      expect(attempts).toContain('RUNNING');
      expect(attempts.at(-1)).toBe('SUCCESS');
      expect(listStates.get(id)?.at(-1)).toBe('SUCCESS');
    } finally {
      for (const socket of sockets) socket.close();
      await stack.close();
    }
  });

  postgresTest('a filtered task list only gets matching tasks; a burst is coalesced to at most ~10 messages a second with the latest state', async ({ postgres }) => {
    // No cap on tasks per message here, so every task's last state must arrive (the cap is tested below).
    const stack = await startStack(postgres.url, 'gw-live-burst', { live: { maxTasksPerUpdate: 100_000 } });
    const sockets: LiveSocket[] = [];
    try {
      const { gateway, producer } = stack;
      await stack.startWorker({ concurrency: 50 });
      const viewer = await signedIn(gateway, 'viewer');
      const all = await connect(gateway, { client: viewer });
      const failing = await connect(gateway, { client: viewer });
      const overview = await connect(gateway, { client: viewer });
      sockets.push(all, failing, overview);
      await subscribe(all, { room: 'tasks' });
      expect(await subscribe(failing, { room: 'tasks', filter: { name: 'tests.fail' } })).toMatchObject({ ok: true });
      await subscribe(overview, { room: 'overview' });

      const arrivals: number[] = [];
      const latest = new Map<string, string>();
      let duplicateInOneMessage = false;
      all.on('tasks:update', ({ tasks }) => {
        arrivals.push(Date.now());
        const ids = new Set(tasks.map((task) => task.id));
        if (ids.size !== tasks.length) duplicateInOneMessage = true;
        for (const task of tasks) latest.set(task.id, task.state);
      });
      const failingNames = new Set<string>();
      failing.on('tasks:update', ({ tasks }) => {
        for (const task of tasks) failingNames.add(task.name);
      });
      let overviewEvents = 0;
      overview.on('overview:update', (update) => {
        overviewEvents += update.events;
      });

      const count = 1_500;
      const sent = [];
      for (let i = 0; i < count; i += 100) {
        sent.push(...(await producer.tasks.get('tests.add')!.bulkApply(Array.from({ length: 100 }, (_, n) => [i, n] as never))));
      }
      sent.push(await producer.sendTask('tests.fail', ['filtered']));
      const ids = sent.map((result) => result.id);
      // Every task's latest state reaches the client, even though most intermediate states were coalesced away.
      await until(
        () => ids.every((id) => latest.get(id) === (id === ids.at(-1) ? 'FAILURE' : 'SUCCESS')),
        `every task final on the client (so far ${ids.filter((id) => latest.get(id) === 'SUCCESS' || latest.get(id) === 'FAILURE').length} of ${ids.length})`,
        45_000,
      );

      expect(duplicateInOneMessage).toBe(false);
      // At most ~10 a second: messages leave the gateway ~100 ms apart (coalescer.test.ts proves
      // the spacing on a fake clock). Arrival gaps jitter with the machine's load (a message held
      // up by a busy event loop lands close to the next one), so the typical gap is checked:
      // without coalescing it would be a few ms.
      const gaps = arrivals
        .slice(1)
        .map((at, i) => at - arrivals[i]!)
        .sort((a, b) => a - b);
      expect(gaps[Math.floor(gaps.length / 2)]).toBeGreaterThanOrEqual(80);
      // Far fewer messages than state changes (each task goes through 3-4 states).
      expect(arrivals.length).toBeLessThan(count / 3);
      expect([...failingNames]).toEqual(['tests.fail']);
      expect(overviewEvents).toBeGreaterThan(count);
    } finally {
      for (const socket of sockets) socket.close();
      await stack.close();
    }
  });

  postgresTest('a task list filtered by rootId gets one workflow: its root and every member, nothing else', async ({ postgres }) => {
    const stack = await startStack(postgres.url, 'gw-live-workflow');
    const sockets: LiveSocket[] = [];
    try {
      const { gateway, producer } = stack;
      await stack.startWorker();
      const viewer = await signedIn(gateway, 'viewer');
      const socket = await connect(gateway, { client: viewer });
      sockets.push(socket);
      const root = 'workflow-root-1';
      expect(await subscribe(socket, { room: 'tasks', filter: { rootId: root } })).toMatchObject({ ok: true });
      const seen = new Map<string, string>();
      socket.on('tasks:update', ({ tasks }) => {
        for (const task of tasks) seen.set(task.id, `${task.state} ${task.groupId ?? '-'}:${task.groupIndex ?? '-'}`);
      });
      // Another workflow's task first: its updates leave the gateway before the ones awaited below.
      const other = await producer.sendTask('tests.add', [3, 3], { headers: { rootId: 'another-root' } });
      await taskInState(gateway, other.id, ['SUCCESS']);
      await producer.sendTask('tests.add', [1, 1], { taskId: root });
      const member = await producer.sendTask('tests.add', [2, 2], { headers: { rootId: root, parentId: root, groupId: 'g', groupIndex: 0 } });
      await until(() => seen.get(root) === 'SUCCESS -:-' && seen.get(member.id) === 'SUCCESS g:0', 'the root and its member, succeeded');
      expect(seen.has(other.id)).toBe(false);
    } finally {
      for (const socket of sockets) socket.close();
      await stack.close();
    }
  });

  postgresTest('a message holds at most maxTasksPerUpdate tasks and counts the rest as dropped, so the client knows to refetch', async ({ postgres }) => {
    const stack = await startStack(postgres.url, 'gw-live-cap', { live: { maxTasksPerUpdate: 10 } });
    const sockets: LiveSocket[] = [];
    try {
      const { gateway, producer } = stack;
      const viewer = await signedIn(gateway, 'viewer');
      const socket = await connect(gateway, { client: viewer });
      sockets.push(socket);
      await subscribe(socket, { room: 'tasks' });
      const sizes: number[] = [];
      let dropped = 0;
      socket.on('tasks:update', (update) => {
        sizes.push(update.tasks.length);
        dropped += update.dropped;
      });
      const sent = await producer.tasks.get('tests.add')!.bulkApply(Array.from({ length: 200 }, (_, n) => [n, n] as never));
      await taskInState(gateway, sent.at(-1)!.id, ['PENDING']);
      await until(() => sizes.reduce((a, b) => a + b, 0) + dropped >= 200, 'all 200 tasks sent or counted');
      expect(Math.max(...sizes)).toBeLessThanOrEqual(10);
      expect(dropped).toBeGreaterThan(0);
    } finally {
      for (const socket of sockets) socket.close();
      await stack.close();
    }
  });

  postgresTest('the workers, queues, schedules and jobs rooms get their updates', async ({ postgres }) => {
    const stack = await startStack(postgres.url, 'gw-live-rooms');
    const sockets: LiveSocket[] = [];
    try {
      const { gateway, producer } = stack;
      const viewer = await signedIn(gateway, 'viewer');
      const operator = await signedIn(gateway, 'operator');
      const socket = await connect(gateway, { client: viewer });
      sockets.push(socket);
      for (const room of ['workers', 'worker:w-live@test', 'queues', 'schedules', 'jobs'] as const) {
        expect(await subscribe(socket, { room })).toEqual({ ok: true, room });
      }
      const workers: { hostname: string; online: boolean }[] = [];
      const oneWorker: string[] = [];
      const queues: { name: string; ready: number; delayed: number }[][] = [];
      const schedules: string[] = [];
      const removed: string[] = [];
      const jobs: { state: string; done: number }[] = [];
      socket.on('workers:update', (update) => workers.push(...update.workers));
      socket.on('worker:update', ({ worker }) => oneWorker.push(worker.hostname));
      socket.on('queues:update', (update) => queues.push(update.queues));
      socket.on('schedules:update', (update) => {
        schedules.push(...update.schedules.map((schedule) => `${schedule.name}@${schedule.version}`));
        removed.push(...update.removed.map((schedule) => `${schedule.name}@${schedule.cluster ?? 'own'}`));
      });
      socket.on('jobs:update', (update) => jobs.push(...update.jobs));

      const worker = await stack.startWorker({ hostname: 'w-live@test' });
      await until(() => workers.some((w) => w.hostname === 'w-live@test' && w.online), 'worker online on the socket');
      await until(() => oneWorker.includes('w-live@test'), 'worker room update');

      await producer.sendTask('tests.add', [1, 2], { queue: 'live-q', countdown: '1h' });
      await until(() => queues.some((list) => list.some((q) => q.name === 'live-q' && q.delayed === 1)), 'queue depth on the socket');

      const created = await operator.request('POST', '/api/v1/schedules', { body: { name: 'live-sched', task: 'tests.add', schedule: '1h' } });
      expect(created.status).toBe(201);
      await until(() => schedules.includes('live-sched@1'), 'schedule on the socket');
      await operator.request('DELETE', '/api/v1/schedules/live-sched');
      await until(() => removed.includes('live-sched@own'), 'schedule removal on the socket');

      const failed = await producer.sendTask('tests.fail', ['x']);
      await taskInState(gateway, failed.id, ['FAILURE']);
      const bulk = await operator.request('POST', '/api/v1/tasks/bulk', { body: { action: 'retry', ids: [failed.id] } });
      expect(bulk.status).toBe(202);
      await until(() => jobs.some((job) => job.state === 'succeeded' && job.done === 1), 'job progress on the socket');

      await worker.close();
      await until(() => workers.some((w) => w.hostname === 'w-live@test' && !w.online), 'worker offline on the socket');
    } finally {
      for (const socket of sockets) socket.close();
      await stack.close();
    }
  });
});
