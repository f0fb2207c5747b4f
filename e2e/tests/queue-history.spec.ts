import { expect, test } from '@playwright/test';
import { apiGet, sendTask, unique, waitForTask } from './api.js';
import { expectNoViolations } from './axe.js';
import { expectDataShown } from './pages.js';

test("a queue's page charts the history the gateway stored: depth it sampled and how long tasks waited to start", async ({ page, context }) => {
  // The gateway samples every queue once a minute: the first sample of a new queue can be a minute away.
  test.setTimeout(240_000);
  // A queue no worker consumes: its three messages stay ready.
  const queue = unique('e2e-history');
  for (let index = 0; index < 3; index += 1) await sendTask(context, 'analytics.trackEvent', [`history-${index}`, index], { queue });
  // And a task the demo's worker runs, so its wait to start is recorded.
  const ran = await sendTask(context, 'analytics.trackEvent', ['history-ran', 1]);
  await waitForTask(page.request, ran, 'SUCCESS');
  const { body } = await apiGet<{ task: { queue: string } }>(page.request, `/api/v1/tasks/${encodeURIComponent(ran)}`);

  await page.goto('/queues');
  await expect(page.getByRole('region', { name: 'History' }).getByRole('combobox', { name: 'Window' })).toHaveValue('1h');
  const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: queue }) });
  await row.getByRole('link', { name: queue }).click();
  await expect(page).toHaveURL(new RegExp(`/queues/${queue}$`));
  await expect(page.getByRole('heading', { level: 1, name: queue })).toBeVisible();
  await expect(page.getByRole('figure', { name: `${queue}: messages in the broker (mean per minute)` })).toBeVisible();

  // The chart's numbers, as a table: a sample with the three ready messages appears.
  const depthTable = page.getByRole('table', { name: `${queue}: messages in the broker` });
  await expect(async () => {
    await page.reload();
    await page.getByRole('region', { name: 'History' }).getByText('Show the numbers').first().click();
    await expect(depthTable.getByRole('row').filter({ has: page.getByRole('cell', { name: '3', exact: true }) }).first()).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 180_000, intervals: [5_000] });

  // Another window redraws from the stored history.
  await page.getByRole('combobox', { name: 'Window' }).selectOption('24h');
  await expect(page.getByRole('figure', { name: `${queue}: messages in the broker (mean per 5 minutes)` })).toBeVisible();
  await expectDataShown(page);
  await expectNoViolations(page, "a queue's page");

  // The queue the task ran in lists its wait by task name.
  await page.goto(`/queues/${encodeURIComponent(body.task.queue)}`);
  const byTask = page.getByRole('table', { name: `Wait to start by task name in ${body.task.queue}` });
  await expect(byTask.getByRole('row').filter({ has: page.getByRole('cell', { name: 'analytics.trackEvent' }) })).toBeVisible({ timeout: 30_000 });
});
