import { expect, test } from '@playwright/test';
import { uniqueEmail } from './accounts.js';
import { apiGet, apiPost, sendTask, waitForTask } from './api.js';
import { expectDataShown } from './pages.js';
import { signIn } from './sign-in.js';

test('a viewer sees no action buttons, and a forged POST is refused', async ({ context, request, browser }) => {
  // The admin (this context) makes a viewer and a failed task a viewer could otherwise retry.
  const email = uniqueEmail('viewer');
  const password = 'viewer-password-1';
  await apiPost(context, '/api/v1/users', { email, password, role: 'viewer' });
  const failed = await sendTask(context, 'payments.callPaymentApi', [987_654_322]);
  await waitForTask(request, failed, 'FAILURE');
  const { body } = await apiGet<{ workers: { hostname: string; online: boolean }[] }>(request, '/api/v1/workers');
  const worker = body.workers.find((item) => item.online)?.hostname;

  const viewerContext = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const page = await viewerContext.newPage();
  await signIn(page, email, password);

  const forbidden = [/^Retry/, /^Revoke/, /^Terminate/, /^Purge/, /^Run now$/, /^Shut down$/, /^Requeue/, /^Drop/, /^Grow pool$/, /^Pause/, /^Resume/, /^Concurrency limit/];
  async function expectNoActions() {
    for (const name of forbidden) await expect(page.getByRole('button', { name })).toHaveCount(0);
    await expect(page.getByRole('checkbox', { name: /^Select/ })).toHaveCount(0);
  }

  await page.goto(`/tasks/${failed}`);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('FAILURE');
  await expectNoActions();
  await page.goto('/tasks');
  await expect(page.getByRole('table', { name: 'Tasks' })).toBeVisible();
  await expectNoActions();
  await page.goto('/queues');
  await expect(page.getByRole('heading', { level: 1, name: 'Queues' })).toBeVisible();
  // The rows (where an admin would see Purge) must be there before their absence means anything.
  await expectDataShown(page);
  await expectNoActions();
  await page.goto('/schedules');
  await expect(page.getByRole('table', { name: 'Schedules' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'New schedule' })).toHaveCount(0);
  await expect(page.getByRole('switch')).toHaveCount(0);
  await expectNoActions();
  if (worker) {
    await page.goto(`/workers/${encodeURIComponent(worker)}`);
    await expect(page.getByRole('heading', { level: 1, name: worker })).toBeVisible();
    await expectNoActions();
    await expect(page.getByRole('button', { name: 'Add consumer' })).toHaveCount(0);
  }

  // The gateway refuses it anyway, CSRF token and all.
  const csrf = (await viewerContext.cookies('http://127.0.0.1:3000')).find((cookie) => cookie.name === 'lovage_csrf')?.value ?? '';
  const forged = await viewerContext.request.post(`http://127.0.0.1:3000/api/v1/tasks/${failed}/retry`, {
    headers: { 'x-csrf-token': csrf, origin: 'http://127.0.0.1:3000' },
  });
  expect(forged.status()).toBe(403);
  await viewerContext.close();
});
