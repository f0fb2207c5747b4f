import { expect, test } from '@playwright/test';

test('the overview charts tasks per minute and workers online, and keeps them live', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();

  // The demo's load generator runs tasks from the start, so the throughput chart has areas.
  const throughput = page.getByRole('figure', { name: 'Tasks per minute by outcome' });
  await expect(throughput).toBeVisible();
  await expect.poll(() => throughput.locator('path.recharts-area-area').count(), { timeout: 30_000 }).toBeGreaterThan(0);
  const stat = (label: string) => page.getByRole('group', { name: label }).locator('[data-stat-value]');
  await expect(stat('Succeeded (1 h)')).toHaveText(/^[1-9]/, { timeout: 30_000 });

  // The workers chart is drawn from the updates this page receives: it appears only once a
  // second sample arrived over the live feed, and shows the demo's two workers.
  const workers = page.getByRole('figure', { name: 'Workers online since this page opened' });
  await expect(workers).toBeVisible({ timeout: 30_000 });
  await expect(workers.locator('path.recharts-line-curve')).toHaveCount(1);
  await expect(stat('Workers online')).toHaveText(/^([2-9]|\d\d)/);
});
