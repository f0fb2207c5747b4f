import { expect, test } from '@playwright/test';
import { unique } from './api.js';

// Signed in as the admin. The demo runs beat in the same process as the gateway and a worker.

test('a schedule with a crontab and a time zone: preview, save, switch to an interval and watch it fire', async ({ page }) => {
  const name = unique('e2e-schedule');
  await page.goto('/schedules');
  await page.getByRole('link', { name: 'New schedule' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'New schedule' })).toBeVisible();

  await page.getByLabel('Name').fill(name);
  await page.getByRole('combobox', { name: 'Task' }).fill('maintenance.cleanupTempFiles');
  await page.getByLabel('Crontab').fill('not a crontab');
  await expect(page.getByText(/crontab/i).and(page.locator('.text-bad'))).toBeVisible();
  await page.getByLabel('Crontab').fill('30 8 * * 1-5');
  await page.getByLabel('Timezone').fill('Europe/Paris');
  await page.getByLabel('Arguments (JSON)').fill('[60000]');
  await expect(page.getByLabel('Enabled')).toBeChecked();

  const preview = page.getByRole('list', { name: 'Next five runs' });
  await expect(preview.getByRole('listitem')).toHaveCount(5);
  await expect(preview.getByRole('listitem').first()).toContainText('8:30 AM (Europe/Paris');
  await expect(page.getByRole('region', { name: 'Next runs' })).toContainText('Europe/Paris');

  await page.getByRole('button', { name: 'Create schedule' }).click();
  await expect(page.getByRole('heading', { level: 1, name, exact: true })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Definition' })).toContainText('Europe/Paris');

  await page.getByRole('link', { name: 'Edit' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Edit ${name}` })).toBeVisible();
  await page.getByLabel('Crontab').fill('');
  await page.getByLabel('Interval').fill('2s');
  await page.getByRole('button', { name: 'Save schedule' }).click();
  await expect(page.getByRole('heading', { level: 1, name, exact: true })).toBeVisible();
  // Beat picks the edit up at its next tick and fires every 2 s; the run history fills in live.
  const history = page.getByRole('region', { name: 'Run history' });
  await expect(history.getByRole('link').first()).toBeVisible({ timeout: 45_000 });
  await expect(page.getByRole('region', { name: 'Changes' })).toContainText('schedule');

  // Pause it again so it does not keep sending tasks for the rest of the run.
  await page.getByRole('switch', { name: `Enabled: ${name}` }).uncheck({ force: true });
  await expect(page.getByRole('status', { name: 'Notifications' })).toContainText('paused');
});

test('"Run now" asks beat to send a schedule at once', async ({ page }) => {
  await page.goto('/schedules');
  const row = page.getByRole('row').filter({ has: page.getByRole('button', { name: 'Run now' }) }).first();
  await expect(row).toBeVisible();
  const name = (await row.getByRole('rowheader').getByRole('link').textContent()) ?? '';
  const lastRun = row.getByRole('link', { name: /^Last run: / });
  const before = (await lastRun.count()) > 0 ? await lastRun.getAttribute('href') : null;
  await row.getByRole('button', { name: 'Run now' }).click();
  await expect(page.getByRole('status', { name: 'Notifications' })).toContainText(`${name}: run requested`);
  // The new run's task shows in the row with the state it ended in, without a reload.
  if (before !== null) await expect(lastRun).not.toHaveAttribute('href', before, { timeout: 20_000 });
  await expect(lastRun).toHaveAccessibleName(/^Last run: (SUCCESS|FAILURE)$/, { timeout: 20_000 });
});

test('saving a schedule someone else changed meanwhile says so', async ({ page }) => {
  const name = unique('e2e-conflict');
  await page.goto('/schedules/new');
  await page.getByLabel('Name').fill(name);
  await page.getByRole('combobox', { name: 'Task' }).fill('maintenance.cleanupTempFiles');
  await page.getByLabel('Interval').fill('1h');
  await page.getByLabel('Enabled').uncheck();
  await page.getByRole('button', { name: 'Create schedule' }).click();
  await expect(page.getByRole('heading', { level: 1, name, exact: true })).toBeVisible();

  await page.goto(`/schedules/${name}/edit`);
  await expect(page.getByLabel('Interval')).toHaveValue('1h');
  // A second operator (same account, another tab) saves first.
  const other = await page.context().newPage();
  await other.goto(`/schedules/${name}/edit`);
  await other.getByLabel('Interval').fill('2h');
  await other.getByRole('button', { name: 'Save schedule' }).click();
  // Exact: the edit page's own heading, "Edit <name>", would match before the save lands.
  await expect(other.getByRole('heading', { level: 1, name, exact: true })).toBeVisible();
  await other.close();

  await page.getByLabel('Interval').fill('3h');
  await page.getByRole('button', { name: 'Save schedule' }).click();
  // Next.js keeps an empty route announcer with role="alert" on every page.
  await expect(page.getByRole('alert').filter({ hasText: 'Someone else saved this schedule' })).toBeVisible();
});
