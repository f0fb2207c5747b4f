import { expect, test } from '@playwright/test';
import { sendTask, waitForTask } from './api.js';
import { killStartedWorkers, startWorker } from './worker-process.js';

// Signed in as the admin (storageState). Each test starts a worker on a queue of its own
// (fixtures/worker-app.ts), whose e2e.double fails unless given a positive number.

test.afterEach(killStartedWorkers);

test('Run again with… replays a failed task with an edited argument, as often as wanted, and each new task is linked both ways', async ({ page, context, request }) => {
  test.setTimeout(120_000);
  const worker = await startWorker('replay');
  const original = await sendTask(context, 'e2e.double', [-4], { queue: worker.queue });
  await waitForTask(request, original, 'FAILURE');

  await page.goto(`/tasks/${original}`);
  await expect(page.getByRole('heading', { level: 1, name: /e2e\.double/ })).toContainText('FAILURE');
  await page.getByRole('button', { name: 'Run again with…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Run e2e.double again' });
  const args = dialog.getByRole('textbox', { name: 'Arguments (JSON)', exact: true });
  const submit = dialog.getByRole('button', { name: 'Run again' });
  // Prefilled with the original's arguments.
  expect(JSON.parse(await args.inputValue())).toEqual([-4]);

  await args.fill('[21');
  await expect(dialog.getByText(/^Arguments: not valid JSON/)).toBeVisible();
  await expect(args).toHaveAttribute('aria-invalid', 'true');
  await expect(submit).toBeDisabled();
  await args.fill('{"value": 21}');
  await expect(dialog.getByText('Arguments: must be a JSON array, such as [1, "a"]')).toBeVisible();
  await expect(submit).toBeDisabled();

  await args.fill('[21]');
  await expect(submit).toBeEnabled();
  await submit.click();
  await expect(page).not.toHaveURL(new RegExp(`/tasks/${original}$`));
  const replay = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('SUCCESS', { timeout: 60_000 });
  await expect(page.getByRole('region', { name: 'Result' })).toContainText('42');
  await expect(page.getByRole('region', { name: 'Arguments' })).toContainText('21');

  await page.getByText('Replay of').getByRole('link', { name: original }).click();
  await expect(page).toHaveURL(new RegExp(`/tasks/${original}$`));
  const replays = page.getByRole('list', { name: 'Replays' });
  await expect(replays.getByRole('link', { name: replay })).toBeVisible();

  // Not once-only: the original runs again with another argument, and lists both re-runs.
  await page.getByRole('button', { name: 'Run again with…' }).click();
  await args.fill('[5]');
  await submit.click();
  await expect(page).not.toHaveURL(new RegExp(`/tasks/${original}$`));
  const second = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('SUCCESS', { timeout: 60_000 });
  await expect(page.getByRole('region', { name: 'Result' })).toContainText('10');
  await page.getByText('Replay of').getByRole('link', { name: original }).click();
  await expect(replays.getByRole('link')).toHaveText([second, replay]);
});

test('Send task sends a registered task by name with JSON args, queue and priority, and shows it succeed', async ({ page }) => {
  test.setTimeout(120_000);
  const worker = await startWorker('send');
  await page.goto('/tasks');
  await page.getByRole('button', { name: 'Send task' }).click();
  const dialog = page.getByRole('dialog', { name: 'Send a task' });
  const name = dialog.getByRole('combobox', { name: 'Task name' });
  // The names the live workers register are offered (the test's own worker registers e2e.double).
  await expect(dialog.locator('datalist option[value="e2e.double"]')).toHaveCount(1);
  const send = dialog.getByRole('button', { name: 'Send', exact: true });
  await expect(send).toBeDisabled();

  await name.fill('e2e.double');
  await dialog.getByRole('textbox', { name: 'Queue' }).fill(worker.queue);
  const args = dialog.getByRole('textbox', { name: 'Arguments (JSON)', exact: true });
  await args.fill('5');
  await expect(dialog.getByText('Arguments: must be a JSON array, such as [1, "a"]')).toBeVisible();
  await args.fill('[5]');
  const priority = dialog.getByRole('textbox', { name: 'Priority (0-9)' });
  await priority.fill('12');
  await expect(dialog.getByText('Priority: must be a whole number from 0 to 9')).toBeVisible();
  await expect(send).toBeDisabled();
  await priority.fill('7');
  await dialog.getByRole('textbox', { name: 'Countdown (seconds)' }).fill('1');
  await expect(send).toBeEnabled();
  await send.click();

  await expect(page).toHaveURL(/\/tasks\/[^/?]+$/);
  await expect(page.getByRole('heading', { level: 1, name: /e2e\.double/ })).toContainText('SUCCESS', { timeout: 60_000 });
  await expect(page.getByRole('region', { name: 'Result' })).toContainText('10');
  await expect(page.getByRole('region', { name: 'Details' })).toContainText(worker.queue);
});
