// API tokens carry scopes chosen at creation; each allows what it names and
// nothing else, on the REST API and on the live feed alike.
import { postgresTest } from '@lovage/test-support/postgres';
import { io } from 'socket.io-client';
import { describe, expect } from 'vitest';
import { startStack, taskInState } from './actions-support.js';
import { errorOf, signedIn } from './support.js';

type Bearer = (method: string, path: string, body?: unknown) => Promise<Response>;

function bearer(baseUrl: string, token: string): Bearer {
  return (method, path, body) =>
    fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
}

function connects(url: string, token: string): Promise<string> {
  const socket = io(url, { path: '/socket.io', transports: ['websocket'], reconnection: false, auth: { token } });
  return new Promise((resolve) => {
    socket.on('connect', () => {
      socket.close();
      resolve('connected');
    });
    socket.on('connect_error', (error) => {
      socket.close();
      resolve(error.message);
    });
  });
}

describe('token scopes', () => {
  postgresTest('each scope allows its own routes and the live feed needs read; refusals are 403 SCOPE_MISSING and audited', async ({ postgres }) => {
    const stack = await startStack(postgres.url, 'gw-scopes');
    try {
      const admin = await signedIn(stack.gateway, 'admin');
      const make = async (role: string, scopes: string[]): Promise<string> => {
        const response = await admin.request('POST', '/api/v1/tokens', { body: { name: scopes.join('+'), role, scopes } });
        expect(response.status).toBe(201);
        const created = (await response.json()) as { token: string; scopes: string[] };
        expect(created.scopes).toEqual(scopes);
        return created.token;
      };
      const readOnly = bearer(stack.gateway.url, await make('operator', ['read']));
      const tasksOnly = bearer(stack.gateway.url, await make('operator', ['tasks']));
      const schedulesOnly = bearer(stack.gateway.url, await make('operator', ['schedules']));
      const delayed = await stack.producer.sendTask('tests.add', [1, 2], { countdown: '1h' });
      await taskInState(stack.gateway, delayed.id, ['PENDING']);

      expect((await readOnly('GET', '/api/v1/tasks')).status).toBe(200);
      expect((await readOnly('GET', '/api/v1/workers')).status).toBe(200);
      const refused = await readOnly('POST', `/api/v1/tasks/${delayed.id}/revoke`, {});
      expect(refused.status).toBe(403);
      expect((await errorOf(refused)).code).toBe('SCOPE_MISSING');

      expect((await tasksOnly('GET', '/api/v1/tasks')).status).toBe(403);
      expect((await tasksOnly('POST', `/api/v1/tasks/${delayed.id}/revoke`, {})).status).toBe(200);
      expect((await tasksOnly('POST', '/api/v1/schedules', { name: 'nope', task: 'tests.add', schedule: '1h' })).status).toBe(403);

      const schedule = await schedulesOnly('POST', '/api/v1/schedules', { name: 'scoped', task: 'tests.add', args: [1, 2], schedule: '1h' });
      expect(schedule.status).toBe(201);
      expect((await schedulesOnly('POST', `/api/v1/tasks/${delayed.id}/revoke`, {})).status).toBe(403);

      expect(await connects(stack.gateway.url, await make('viewer', ['read']))).toBe('connected');
      expect(await connects(stack.gateway.url, await make('operator', ['tasks', 'workers']))).toBe('SCOPE_MISSING');

      const denials = await stack.gateway.prisma.auditLog.findMany({ where: { outcome: 'denied', error: 'SCOPE_MISSING' } });
      expect(denials.length).toBe(3);
    } finally {
      await stack.close();
    }
  });

  postgresTest('a token is never given more than its role allows, and defaults to everything the role allows', async ({ postgres }) => {
    const stack = await startStack(postgres.url, 'gw-scopes-create');
    try {
      const admin = await signedIn(stack.gateway, 'admin');
      const tooMuch = await admin.request('POST', '/api/v1/tokens', { body: { name: 'x', role: 'viewer', scopes: ['read', 'tasks'] } });
      expect(tooMuch.status).toBe(400);
      expect(JSON.stringify(await tooMuch.json())).toContain('scopes');
      const empty = await admin.request('POST', '/api/v1/tokens', { body: { name: 'x', role: 'operator', scopes: [] } });
      expect(empty.status).toBe(400);
      const defaulted = (await (await admin.request('POST', '/api/v1/tokens', { body: { name: 'd', role: 'operator' } })).json()) as { scopes: string[] };
      expect(defaulted.scopes).toEqual(['read', 'tasks', 'workers', 'schedules']);
      const listed = (await (await admin.request('GET', '/api/v1/tokens')).json()) as { tokens: { name: string; scopes: string[] }[] };
      expect(listed.tokens.find((token) => token.name === 'd')?.scopes).toEqual(['read', 'tasks', 'workers', 'schedules']);
    } finally {
      await stack.close();
    }
  });
});
