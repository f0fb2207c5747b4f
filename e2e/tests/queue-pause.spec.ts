import { expect, test } from '@playwright/test';
import { sendTask, waitForTask } from './api.js';
import { killStartedWorkers, startWorker } from './worker-process.js';

test.afterEach(killStartedWorkers);

test('a queue paused from the UI keeps a new task waiting until it is resumed, then the task runs', async ({ page, context, request }) => {
  const worker = await startWorker('pause');
  const { queue } = worker;
  // A first task makes the queue known and proves the worker takes its tasks.
  await waitForTask(request, await sendTask(context, 'e2e.echo', ['before'], { queue }), 'SUCCESS');

  await page.goto('/queues');
  const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: queue }) });
  await expect(row).toBeVisible({ timeout: 30_000 });
  const notifications = page.getByRole('status', { name: 'Notifications' });

  await row.getByRole('button', { name: `Pause ${queue}` }).click();
  await expect(notifications).toContainText(`Paused ${queue}`);
  await expect(row.getByRole('rowheader')).toContainText('paused');
  await expect(row.getByRole('button', { name: `Resume ${queue}` })).toBeVisible();

  const held = await sendTask(context, 'e2e.echo', ['held'], { queue });
  // Waiting in the queue: counted as ready on the Queues page, and pending on its own page.
  await expect(row.getByRole('cell').first()).toHaveText('1', { timeout: 30_000 });
  await waitForTask(request, held, 'PENDING');
  const detail = await context.newPage();
  await detail.goto(`/tasks/${held}`);
  await expect(detail.getByRole('heading', { level: 1 })).toContainText('PENDING', { timeout: 30_000 });
  await expect(row.getByRole('cell').first()).toHaveText('1');

  await row.getByRole('button', { name: `Resume ${queue}` }).click();
  await expect(notifications).toContainText(`Resumed ${queue}`);
  await expect(row.getByRole('rowheader')).not.toContainText('paused');
  await waitForTask(request, held, 'SUCCESS');
  await expect(detail.getByRole('heading', { level: 1 })).toContainText('SUCCESS', { timeout: 30_000 });
  await expect(row.getByRole('cell').first()).toHaveText('0', { timeout: 30_000 });
});
