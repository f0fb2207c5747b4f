import { expect, test } from '@playwright/test';
import { sendTask, unique } from './api.js';

test('purging a queue needs its name typed, then empties it', async ({ page, context }) => {
  // A queue no worker consumes, so the messages stay ready until the purge.
  const queue = unique('e2e-purge');
  for (let index = 0; index < 3; index += 1) await sendTask(context, 'analytics.trackEvent', [`purge-${index}`, index], { queue });

  await page.goto('/queues');
  const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: queue }) });
  await expect(row).toBeVisible({ timeout: 30_000 });
  await expect(row.getByRole('cell').first()).toHaveText('3', { timeout: 30_000 });

  await row.getByRole('button', { name: `Purge ${queue}` }).click();
  const dialog = page.getByRole('dialog', { name: `Purge ${queue}?` });
  const confirm = dialog.getByRole('button', { name: 'Purge queue' });
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel('Type the queue name to confirm').fill(queue.slice(0, -1));
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel('Type the queue name to confirm').fill(queue);
  await confirm.click();
  await expect(page.getByRole('status', { name: 'Notifications' })).toContainText(`Purged ${queue}`);
  await expect(page.getByRole('status', { name: 'Notifications' })).toContainText('3 messages removed');
});
