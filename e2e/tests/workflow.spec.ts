import { expect, test } from '@playwright/test';
import { sendTask, waitForTask } from './api.js';
import { expectNoViolations } from './axe.js';

// The demo's reports.regionalSales applies a chain into a chord from inside its handler:
// snapshot → one summary per region, in parallel → merge. The region "offline" fails until an
// operator retries it, so the chord's merge fails first and runs once the member is retried.
test('a workflow is drawn as a graph; its failed member stops the chord until "Retry failed members" re-runs it, and the merge then succeeds', async ({
  page,
  context,
  request,
}) => {
  test.setTimeout(120_000);
  const starter = await sendTask(context, 'reports.regionalSales', [['north', 'offline']]);
  await waitForTask(request, starter, 'SUCCESS');

  await page.goto(`/tasks/${starter}`);
  const workflow = page.getByRole('region', { name: 'Workflow' });
  const graph = workflow.getByRole('group', { name: /^Workflow graph of \d+ tasks$/ });
  // Every member appears, live, with its state: the failed region stops the join.
  await expect(graph.getByRole('link', { name: 'reports.snapshotOrders SUCCESS' })).toBeVisible({ timeout: 30_000 });
  await expect(graph.getByRole('link', { name: 'reports.summarizeRegion SUCCESS' })).toBeVisible({ timeout: 30_000 });
  await expect(graph.getByRole('link', { name: 'reports.summarizeRegion FAILURE' })).toBeVisible({ timeout: 30_000 });
  await expect(graph.getByRole('link', { name: 'reports.mergeRegions FAILURE' })).toBeVisible({ timeout: 30_000 });
  await expect(graph.getByRole('link', { name: /^reports\.regionalSales / })).toBeVisible();
  await expectNoViolations(page, 'a task page with its workflow graph');

  await workflow.getByRole('button', { name: 'Retry failed members' }).click();
  await page.getByRole('dialog', { name: 'Retry the failed members?' }).getByRole('button', { name: 'Retry failed members' }).click();
  await expect(page.getByRole('status', { name: 'Notifications' })).toContainText('Retried 1 member');
  // The re-run takes the failed member's place, and the chord's merge then runs: no reload.
  await expect(graph.getByRole('link', { name: 'reports.summarizeRegion SUCCESS' })).toHaveCount(2, { timeout: 30_000 });
  await expect(graph.getByRole('link', { name: 'reports.mergeRegions SUCCESS' })).toBeVisible({ timeout: 30_000 });
  await expect(workflow.getByRole('button', { name: 'Retry failed members' })).toHaveCount(0);

  // A member's own page draws the same workflow, with that member as the page's task.
  await graph.getByRole('link', { name: 'reports.mergeRegions SUCCESS' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('reports.mergeRegions');
  await expect(page.getByRole('region', { name: 'Workflow' }).getByRole('link', { name: 'reports.snapshotOrders SUCCESS' })).toBeVisible();
});
