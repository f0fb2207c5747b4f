// Two gateways as two processes on one database and one broker, as behind a
// load balancer: only gateway A ingests, yet a browser's socket on gateway B
// sees the task's changes live (they cross over Redis pub/sub, not through
// anything the two share in memory), and failed logins counted on A lock the
// user out on B.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Lovage } from '@lovage/engine';
import { postgresTest } from '@lovage/test-support/postgres';
import { deleteKeysWithPrefix, uniquePrefix } from '@lovage/test-support/redis';
import { testRedisUrl } from '@lovage/test-support';
import { Redis } from 'ioredis';
import { io, type Socket } from 'socket.io-client';
import { describe, expect } from 'vitest';
import type { LiveClientEvents, LiveServerEvents } from '../src/live/schemas.js';
import type { Gateway } from '../src/server.js';
import { until } from './actions-support.js';
import { ADMIN, Client, errorOf, gatewayProcess, signedIn } from './support.js';

type LiveSocket = Socket<LiveServerEvents, LiveClientEvents>;

describe('two gateway processes', () => {
  postgresTest("a socket on B sees tasks only A ingests, and failed logins on A lock the user out on B", async ({ postgres }) => {
    const prefix = uniquePrefix('gw-procs');
    const channel = `lovage-test:live:${randomUUID()}`;
    const children: ChildProcess[] = [];
    const app = new Lovage({ broker: testRedisUrl, prefix, logLevel: 'silent' });
    const add = app.task('procs.add', (a: number, b: number) => a + b);
    const worker = app.worker({ concurrency: 4 });
    let socket: LiveSocket | undefined;
    try {
      // A first: it creates the admin and migrates nothing twice.
      const urlA = await gatewayProcess([postgres.url, testRedisUrl, prefix, channel, ADMIN.email, ADMIN.password], children);
      const urlB = await gatewayProcess([postgres.url, testRedisUrl, '-', channel, ADMIN.email, ADMIN.password], children);

      const viewer = await signedIn({ url: urlB } as Gateway, 'viewer');
      socket = io(urlB, {
        path: '/socket.io',
        transports: ['websocket'],
        extraHeaders: { cookie: [...viewer.cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
        reconnection: false,
      });
      await new Promise<void>((resolve, reject) => {
        socket!.on('connect', () => resolve());
        socket!.on('connect_error', reject);
      });
      const seen = new Map<string, string>();
      socket.on('tasks:update', ({ tasks }) => {
        for (const task of tasks) seen.set(task.id, task.state);
      });
      await socket.timeout(5_000).emitWithAck('subscribe', { room: 'tasks' });

      await worker.start();
      const ids = (await add.bulkApply(Array.from({ length: 20 }, (_, n) => [n, 1] as [number, number]))).map((result) => result.id);
      await until(() => ids.every((id) => seen.get(id) === 'SUCCESS'), `every task SUCCESS on B's socket (so far ${ids.filter((id) => seen.get(id) === 'SUCCESS').length} of 20)`, 60_000);

      // Three failures on A (the fixture's limit) lock the address out everywhere.
      for (const attempt of [1, 2, 3]) expect((await new Client(urlA).login(ADMIN.email, `wrong-${attempt}`)).status).toBe(401);
      const refused = await new Client(urlB).login(ADMIN.email, ADMIN.password);
      expect(refused.status).toBe(429);
      expect((await errorOf(refused)).code).toBe('RATE_LIMITED');
    } finally {
      socket?.close();
      for (const child of children) child.kill('SIGTERM');
      await Promise.all(children.map((child) => (child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve)))));
      await worker.close();
      await app.close();
      const client = new Redis(testRedisUrl);
      await deleteKeysWithPrefix(client, prefix);
      client.disconnect();
    }
  }, 300_000);
});
