import { expect, test } from '@playwright/test';
import { killStartedWorkers, startWorker } from './worker-process.js';

test.afterEach(killStartedWorkers);

test('a worker shows online while it runs and offline once it is stopped, without a reload', async ({ page }) => {
  const worker = await startWorker('offline');
  await page.goto('/workers');
  await expect(page.getByRole('heading', { level: 1, name: 'Workers' })).toBeVisible();
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: worker.hostname, exact: true }) });
  await expect(row.getByRole('cell', { name: 'Online', exact: true })).toBeVisible({ timeout: 30_000 });
  // A marker a reload would wipe: the change below must arrive over the live feed.
  await page.evaluate(() => document.body.setAttribute('data-e2e-loaded-once', 'yes'));

  expect(await worker.stop()).toBe(0);
  await expect(row.getByRole('cell', { name: 'Offline', exact: true })).toBeVisible({ timeout: 30_000 });
  await expect(page.locator('body')).toHaveAttribute('data-e2e-loaded-once', 'yes');
});

test("an operator grows and shrinks a worker's pool and adds and cancels a consumer", async ({ page }) => {
  const worker = await startWorker('controls');
  await page.goto(`/workers/${encodeURIComponent(worker.hostname)}`);
  await expect(page.getByRole('heading', { level: 1, name: worker.hostname })).toBeVisible({ timeout: 30_000 });
  const notifications = page.getByRole('status', { name: 'Notifications' });
  const limits = page.getByRole('region', { name: 'Pool and limits' });
  await expect(limits.getByText('Pool size: 2', { exact: true })).toBeVisible();

  await limits.getByRole('button', { name: 'Grow pool' }).click();
  await expect(notifications).toContainText(`${worker.hostname}: pool_grow`);
  await expect(limits.getByText('Pool size: 3', { exact: true })).toBeVisible({ timeout: 15_000 });
  await limits.getByRole('button', { name: 'Shrink pool' }).click();
  await expect(notifications).toContainText(`${worker.hostname}: pool_shrink`);
  await expect(limits.getByText('Pool size: 2', { exact: true })).toBeVisible({ timeout: 15_000 });

  const queues = page.getByRole('region', { name: 'Queues consumed' });
  const extra = `${worker.queue}-extra`;
  await expect(queues.getByRole('listitem').filter({ hasText: worker.queue })).toHaveCount(1);
  await queues.getByLabel('Queue to consume').fill(extra);
  await queues.getByRole('button', { name: 'Add consumer' }).click();
  await expect(notifications).toContainText(`${worker.hostname}: add_consumer`);
  await expect(queues.getByRole('button', { name: `Stop consuming ${extra}` })).toBeVisible({ timeout: 15_000 });

  await queues.getByRole('button', { name: `Stop consuming ${extra}` }).click();
  await expect(notifications).toContainText(`${worker.hostname}: cancel_consumer`);
  await expect(queues.getByRole('button', { name: `Stop consuming ${extra}` })).toHaveCount(0, { timeout: 15_000 });
  await expect(queues.getByRole('button', { name: `Stop consuming ${worker.queue}` })).toBeVisible();
});
