import { expect, test } from '@playwright/test';
import { apiGet, sendTask, waitForTask } from './api.js';
import { killStartedWorkers, startWorker } from './worker-process.js';

test.afterEach(killStartedWorkers);

interface TaskTimes {
  task: { startedAt: string | null; succeededAt: string | null };
}

test('a concurrency limit set from the Queues page runs one task at a time on a worker with room for two, until it is removed', async ({ page, context, request }) => {
  // Two slots (-c 2): without the limit, both tasks below would run side by side.
  const worker = await startWorker('capped');
  const { queue } = worker;
  // A first task makes the queue known and proves the worker takes its tasks.
  await waitForTask(request, await sendTask(context, 'e2e.echo', ['before'], { queue }), 'SUCCESS');

  await page.goto('/queues');
  const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: queue }) });
  await expect(row).toBeVisible({ timeout: 30_000 });
  await expect(row.getByRole('rowheader')).not.toContainText(/limit \d/);
  const notifications = page.getByRole('status', { name: 'Notifications' });

  await row.getByRole('button', { name: `Concurrency limit of ${queue}` }).click();
  const dialog = page.getByRole('dialog', { name: `Concurrency limit of ${queue}` });
  const field = dialog.getByLabel('Tasks running at once');
  await expect(field).toHaveValue('');
  await field.fill('0');
  await dialog.getByRole('button', { name: 'Save limit' }).click();
  await expect(field).toHaveAttribute('aria-invalid', 'true');
  await expect(dialog).toContainText('Must be at least 1. To stop the queue, pause it.');
  await field.fill('1');
  await dialog.getByRole('button', { name: 'Save limit' }).click();
  await expect(dialog).toBeHidden();
  await expect(notifications).toContainText(`Limited ${queue} to 1`);
  await expect(row.getByRole('rowheader')).toContainText('limit 1');

  const ids = [await sendTask(context, 'e2e.hold', [1_500], { queue }), await sendTask(context, 'e2e.hold', [1_500], { queue })];
  for (const id of ids) await waitForTask(request, id, 'SUCCESS');
  const runs = await Promise.all(ids.map(async (id) => (await apiGet<TaskTimes>(request, `/api/v1/tasks/${id}`)).body.task));
  runs.sort((a, b) => Date.parse(a.startedAt!) - Date.parse(b.startedAt!));
  // The second started only once the first had ended: one at a time.
  expect(Date.parse(runs[1]!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(runs[0]!.succeededAt!));

  await row.getByRole('button', { name: `Concurrency limit of ${queue}` }).click();
  await expect(field).toHaveValue('1');
  await field.fill('');
  await dialog.getByRole('button', { name: 'Save limit' }).click();
  await expect(notifications).toContainText(`No limit on ${queue}`);
  await expect(row.getByRole('rowheader')).not.toContainText(/limit \d/);
});
