import { expect, test } from '@playwright/test';
import { apiGet, sendTask } from './api.js';
import { killStartedWorkers, startWorker } from './worker-process.js';

test.afterEach(killStartedWorkers);

interface Letters {
  deadLetters: { id: string; reason: string }[];
}
interface Queues {
  queues: { name: string; ready: number; dead: number }[];
}

test('a rejected message is listed with its reason, and can be dropped or requeued', async ({ page, context, request }) => {
  // A worker whose task refuses every message: the broker dead-letters them.
  const worker = await startWorker('dead');
  const { queue } = worker;
  const reason = 'card declined in e2e';
  const requeued = await sendTask(context, 'e2e.refuse', [reason], { queue });
  const dropped = await sendTask(context, 'e2e.refuse', [reason], { queue });
  await expect
    .poll(async () => (await apiGet<Letters>(request, `/api/v1/dead-letters?queue=${queue}`)).body.deadLetters.length, { timeout: 30_000 })
    .toBe(2);
  // Stopped before the requeue, so the requeued message waits in the queue to be counted.
  expect(await worker.stop()).toBe(0);

  await page.goto(`/dead-letters?queue=${encodeURIComponent(queue)}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Dead letters' })).toBeVisible();
  const letterOf = (id: string) => page.getByRole('listitem').filter({ has: page.getByRole('button', { name: `Drop ${id}` }) });
  for (const id of [requeued, dropped]) {
    await expect(letterOf(id)).toContainText('e2e.refuse');
    await expect(letterOf(id)).toContainText('rejected: card declined in e2e');
  }
  const notifications = page.getByRole('status', { name: 'Notifications' });

  await letterOf(dropped).getByRole('button', { name: `Drop ${dropped}` }).click();
  await page.getByRole('dialog', { name: 'Drop dead letters?' }).getByRole('button', { name: 'Drop' }).click();
  await expect(notifications).toContainText('Dropped 1 message');
  await expect(letterOf(dropped)).toHaveCount(0);

  await letterOf(requeued).getByRole('button', { name: `Requeue ${requeued}` }).click();
  await page.getByRole('dialog', { name: 'Requeue dead letters?' }).getByRole('button', { name: 'Requeue' }).click();
  await expect(notifications).toContainText('Requeued 1 message');
  await expect(page.getByText('No dead letters', { exact: true })).toBeVisible();

  // The requeued message is back in its queue; the dropped one is gone for good.
  await expect
    .poll(async () => (await apiGet<Queues>(request, '/api/v1/queues')).body.queues.find((item) => item.name === queue), { timeout: 15_000 })
    .toMatchObject({ ready: 1, dead: 0 });
});
