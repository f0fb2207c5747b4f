import { expect, test, type Page } from '@playwright/test';
import { apiGet, sendTask, waitForTask } from './api.js';

// Task args, results and errors are user data. Payloads that would run script if the
// dashboard rendered them as HTML must show up as plain text and run nothing.
const script = '<script>window.__lovageXss = "script"</script>';
const image = '<img src="x" onerror="window.__lovageXss = \'img\'">';

async function expectInert(page: Page): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { __lovageXss?: string }).__lovageXss)).toBeUndefined();
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
}

test('script and img payloads in args and errors are shown as text and never run', async ({ page, context, request }) => {
  // Args: the analytics task takes a free-form event name.
  const tracked = await sendTask(context, 'analytics.trackEvent', [`${script}${image}`, 1]);
  // Error: the payment task looks the "order id" up, and Prisma's refusal quotes it.
  const failed = await sendTask(context, 'payments.callPaymentApi', [image]);
  await waitForTask(request, tracked, 'SUCCESS');
  await waitForTask(request, failed, 'FAILURE');
  const { body } = await apiGet<{ task: { errorMessage: string | null; errorStack: string | null } }>(request, `/api/v1/tasks/${failed}`);
  expect(`${body.task.errorMessage ?? ''}${body.task.errorStack ?? ''}`).toContain('onerror');

  await page.goto('/tasks?name=analytics.trackEvent');
  await expect(page.getByRole('link', { name: 'analytics.trackEvent' }).first()).toBeVisible();
  await expect(page.getByText('<script>window.__lovageXss', { exact: false }).first()).toBeVisible();
  await expectInert(page);

  await page.goto(`/tasks/${tracked}`);
  // Shown as pretty JSON, so the payload's quotes are escaped; the tags are there as text.
  await expect(page.getByRole('region', { name: 'Arguments' })).toContainText('<script>window.__lovageXss');
  await expect(page.getByRole('region', { name: 'Arguments' })).toContainText('<img src=');
  await expectInert(page);

  await page.goto(`/tasks/${failed}`);
  const history = page.getByRole('region', { name: 'Retry history' });
  await expect(history).toContainText('onerror');
  const stack = history.getByText('Stack trace').first();
  if ((await stack.count()) > 0) await stack.click();
  await expectInert(page);
});
