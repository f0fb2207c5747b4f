// Schedule actions through app.schedules: create, update with optimistic
// concurrency, enable/disable, run now, delete; 404, 409 and 400 naming the field.
import { postgresTest } from '@lovage/test-support/postgres';
import { describe, expect } from 'vitest';
import { startStack, until } from './actions-support.js';
import { errorOf, signedIn } from './support.js';

interface Entry {
  name: string;
  version: number;
  enabled: boolean;
  args: unknown[];
  runRequestedAt: string | null;
  updatedBy: string | null;
}

const entryOf = async (response: Response): Promise<Entry> => ((await response.json()) as { schedule: Entry }).schedule;

describe('schedule actions', () => {
  postgresTest('create, update at the right version, stale edits 409, enable, disable, run now, delete; viewers change nothing', async ({ postgres }) => {
    const stack = await startStack(postgres.url);
    try {
      const { gateway, app } = stack;
      const viewer = await signedIn(gateway, 'viewer');
      const operator = await signedIn(gateway, 'operator');
      const definition = { name: 'nightly', task: 'tests.add', schedule: '0 3 * * *', args: [1, 2], timezone: 'Europe/Paris' };

      expect((await viewer.request('POST', '/api/v1/schedules', { body: definition })).status).toBe(403);
      expect(await app.schedules.get('nightly')).toBeNull();

      const created = await operator.request('POST', '/api/v1/schedules', { body: definition });
      expect(created.status).toBe(201);
      const first = await entryOf(created);
      expect(first).toMatchObject({ name: 'nightly', version: 1, enabled: true, args: [1, 2], updatedBy: expect.stringMatching(/^operator-/) as string });

      const duplicate = await operator.request('POST', '/api/v1/schedules', { body: definition });
      expect(duplicate.status).toBe(409);
      expect(await errorOf(duplicate)).toMatchObject({ code: 'SCHEDULE_EXISTS', field: 'name' });

      const updated = await operator.request('PUT', '/api/v1/schedules/nightly', { body: { ...definition, name: undefined, args: [5, 6], version: 1 } });
      expect(updated.status).toBe(200);
      expect(await entryOf(updated)).toMatchObject({ version: 2, args: [5, 6] });

      // Someone else's edit was based on version 1: refused, and the store keeps version 2's args.
      const stale = await operator.request('PUT', '/api/v1/schedules/nightly', { body: { task: 'tests.add', schedule: '1h', version: 1 } });
      expect(stale.status).toBe(409);
      expect(await errorOf(stale)).toMatchObject({ code: 'SCHEDULE_CONFLICT', field: 'version' });
      expect((await app.schedules.get('nightly'))?.args).toEqual([5, 6]);

      const disabled = await operator.request('POST', '/api/v1/schedules/nightly/disable', { body: { version: 2 } });
      expect(await entryOf(disabled)).toMatchObject({ enabled: false, version: 3 });
      const staleEnable = await operator.request('POST', '/api/v1/schedules/nightly/enable', { body: { version: 2 } });
      expect(staleEnable.status).toBe(409);
      const enabled = await operator.request('POST', '/api/v1/schedules/nightly/enable');
      expect(await entryOf(enabled)).toMatchObject({ enabled: true, version: 4 });

      const run = await operator.request('POST', '/api/v1/schedules/nightly/run');
      expect(run.status).toBe(202);
      expect((await entryOf(run)).runRequestedAt).not.toBeNull();

      const cases: [string, string, unknown, string][] = [
        ['POST', '/api/v1/schedules', { name: 'bad-zone', task: 'tests.add', schedule: '1h', timezone: 'Mars/Olympus' }, 'timezone'],
        ['POST', '/api/v1/schedules', { name: 'bad-cron', task: 'tests.add', schedule: '99 * * * *' }, 'schedule'],
        ['POST', '/api/v1/schedules', { name: 'no-task', schedule: '1h' }, 'task'],
        ['POST', '/api/v1/schedules', { name: 'bad-args', task: 'tests.add', schedule: '1h', args: 'x' }, 'args'],
        ['PUT', '/api/v1/schedules/nightly', { task: 'tests.add', schedule: '1h' }, 'version'],
        ['DELETE', '/api/v1/schedules/nightly?version=zero', undefined, 'version'],
      ];
      for (const [method, path, body, field] of cases) {
        const response = await operator.request(method, path, body === undefined ? {} : { body });
        expect({ path, status: response.status, field: (await errorOf(response)).field }).toEqual({ path, status: 400, field });
      }

      expect((await operator.request('DELETE', '/api/v1/schedules/nightly?version=3')).status).toBe(409);
      expect((await viewer.request('DELETE', '/api/v1/schedules/nightly')).status).toBe(403);
      const deleted = await operator.request('DELETE', '/api/v1/schedules/nightly?version=4');
      expect(deleted.status).toBe(204);
      expect(await app.schedules.get('nightly')).toBeNull();
      for (const [method, path] of [
        ['DELETE', '/api/v1/schedules/nightly'],
        ['POST', '/api/v1/schedules/nightly/enable'],
        ['POST', '/api/v1/schedules/nightly/run'],
      ] as const) {
        expect({ path, status: (await operator.request(method, path)).status }).toEqual({ path, status: 404 });
      }
      const missingPut = await operator.request('PUT', '/api/v1/schedules/nightly', { body: { task: 'tests.add', schedule: '1h', version: 4 } });
      expect(missingPut.status).toBe(404);

      const audit = await gateway.prisma.auditLog.findMany({ where: { action: { startsWith: 'schedule.' }, outcome: 'ok' }, orderBy: { id: 'asc' } });
      expect(audit.map((entry) => `${entry.action}:${entry.target ?? ''}`)).toEqual([
        'schedule.create:nightly',
        'schedule.update:nightly',
        'schedule.disable:nightly',
        'schedule.enable:nightly',
        'schedule.run:nightly',
        'schedule.delete:nightly',
      ]);
      // The edits reach the event stream, so the ingest keeps the schedule's change history too.
      await until(async () => (await gateway.prisma.scheduleChange.count({ where: { scheduleName: 'nightly' } })) >= 6, 'schedule changes ingested');
      const changes = await gateway.prisma.scheduleChange.findMany({ where: { scheduleName: 'nightly' }, orderBy: { id: 'asc' } });
      expect(changes.map((change) => change.action)).toEqual(['created', 'updated', 'disabled', 'enabled', 'run-requested', 'removed']);
    } finally {
      await stack.close();
    }
  });
});
