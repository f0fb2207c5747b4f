import { expect, test } from '@playwright/test';
import { apiGet, sendTask, unique, waitForTask } from './api.js';

// Signed in as the admin (storageState). The demo's worker runs analytics.trackEvent and
// payments.callPaymentApi in the same process as the gateway.

test('a task sent while the list is open appears and reaches SUCCESS without a reload', async ({ page, context }) => {
  await page.goto('/tasks?name=analytics.trackEvent');
  await expect(page.getByRole('heading', { level: 1, name: 'Tasks' })).toBeVisible();
  await expect(page.getByRole('status', { name: 'Live updates' })).toHaveText('Live');
  // A marker that a full page load would wipe out.
  await page.evaluate(() => {
    (window as unknown as { e2eMarker: string }).e2eMarker = 'still here';
  });

  const marker = unique('live');
  const id = await sendTask(context, 'analytics.trackEvent', [marker, 7]);
  const row = page.locator(`[role="row"][data-task-id="${id}"]`);
  await expect(row).toBeVisible({ timeout: 30_000 });
  await expect(row).toContainText(marker);
  await expect(row.getByText('SUCCESS')).toBeVisible({ timeout: 30_000 });
  expect(await page.evaluate(() => (window as unknown as { e2eMarker?: string }).e2eMarker)).toBe('still here');
});

test('the filters live in the URL and survive a reload', async ({ page }) => {
  await page.goto('/tasks');
  await page.getByLabel('State').selectOption('FAILURE');
  await expect(page).toHaveURL(/state=FAILURE/);
  await page.getByLabel('Task name').fill('payments.callPaymentApi');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/name=payments.callPaymentApi/);
  await page.reload();
  await expect(page.getByLabel('State')).toHaveValue('FAILURE');
  await expect(page.getByLabel('Task name')).toHaveValue('payments.callPaymentApi');
});

test('a failed task shows each attempt with its error name, message and stack', async ({ page, context, request }) => {
  // No such order: the task fails on its first attempt with the lookup's error.
  const id = await sendTask(context, 'payments.callPaymentApi', [987_654_321]);
  await waitForTask(request, id, 'FAILURE');
  const { body } = await apiGet<{ task: { attempts: { attempt: number; errorName: string | null; errorMessage: string | null }[] } }>(
    request,
    `/api/v1/tasks/${id}`,
  );
  expect(body.task.attempts.length).toBeGreaterThan(0);

  await page.goto(`/tasks/${id}`);
  await expect(page.getByRole('heading', { level: 1, name: /payments\.callPaymentApi/ })).toBeVisible();
  const history = page.getByRole('region', { name: 'Retry history' });
  for (const attempt of body.task.attempts) {
    const entry = history.getByRole('listitem', { name: `Attempt ${attempt.attempt}` });
    await expect(entry).toBeVisible();
    if (attempt.errorName) await expect(entry).toContainText(attempt.errorName);
    if (attempt.errorMessage) await expect(entry).toContainText(attempt.errorMessage.slice(0, 60));
  }
  const first = history.getByRole('listitem', { name: 'Attempt 1' });
  const stack = first.getByText('Stack trace');
  if (await stack.count()) {
    await stack.click();
    await expect(first.getByLabel('Stack trace of attempt 1', { exact: true })).toBeVisible();
  }
});

test('revoking a delayed task stops it from ever running, and Retry sends a new task that succeeds', async ({ page, context, request }) => {
  test.setTimeout(120_000);
  // The broker holds a delayed message until it is due; the worker that then receives it
  // discards it and reports it REVOKED. 20 s leaves time to revoke it first on a busy machine.
  const marker = unique('delayed');
  const id = await sendTask(context, 'analytics.trackEvent', [marker, 1], { countdown: '20s' });
  await waitForTask(request, id);

  await page.goto(`/tasks/${id}`);
  await expect(page.getByRole('heading', { level: 1, name: /analytics\.trackEvent/ })).toBeVisible();
  await page.getByRole('button', { name: 'Revoke' }).click();
  const dialog = page.getByRole('dialog', { name: 'Revoke this task?' });
  await dialog.getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByRole('status', { name: 'Notifications' })).toContainText('Task revoked');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('REVOKED', { timeout: 60_000 });
  await expect(page.getByRole('region', { name: 'Retry history' })).toContainText('No attempt has started yet.');

  await page.getByRole('button', { name: 'Retry' }).click();
  await page.getByRole('dialog', { name: 'Retry this task?' }).getByRole('button', { name: 'Retry' }).click();
  await expect(page).not.toHaveURL(new RegExp(`/tasks/${id}$`));
  await expect(page.getByRole('region', { name: 'Related tasks' })).toContainText('Retried from', { timeout: 30_000 });
  await expect(page.getByRole('heading', { level: 1 })).toContainText('SUCCESS', { timeout: 30_000 });
  // The revoked original never ran.
  const { body } = await apiGet<{ task: { state: string; attempts: unknown[] } }>(request, `/api/v1/tasks/${id}`);
  expect(body.task.state).toBe('REVOKED');
  expect(body.task.attempts).toEqual([]);
});
