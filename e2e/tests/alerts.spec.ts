// An admin creates an alert rule on the Alerts page; real traffic makes it fire (a task
// waiting in a queue no worker reads); the gateway posts to a webhook receiver this test
// runs, and the rule shows in the "Firing now" list. Purging the queue resolves it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import { apiPost, sendTask, unique, waitForTask } from './api.js';

interface Notice {
  status?: string;
  subject?: string;
  text?: string;
}

async function startReceiver(): Promise<{ url: string; received: Notice[]; close: () => Promise<void> }> {
  const received: Notice[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Notice);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/${unique('secret')}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

test('an alert rule created in the UI fires on real traffic, notifies its webhook once and shows in the firing list', async ({
  page,
  context,
  request,
}) => {
  // A dozen steps, two of them waiting for the gateway's evaluation (every 2 s here).
  test.setTimeout(120_000);
  const receiver = await startReceiver();
  try {
    const queue = unique('alerts');
    const name = unique('Backlog');
    await page.goto('/alerts');
    await expect(page.getByRole('heading', { level: 1, name: 'Alerts' })).toBeVisible();

    await page.getByRole('button', { name: 'New rule' }).click();
    const dialog = page.getByRole('dialog', { name: 'New alert rule' });
    await dialog.getByLabel('Name').fill(name);
    await dialog.getByLabel('Kind').selectOption({ label: 'Queue depth' });
    await dialog.getByLabel('Queue').fill(queue);
    await dialog.getByLabel('More than (tasks waiting)').fill('0');
    await dialog.getByLabel('Webhook format').selectOption({ label: 'Generic JSON' });
    // A URL that is not http(s) is refused, naming the field.
    await dialog.getByLabel('Webhook URL').fill('ftp://example.com/hook');
    await dialog.getByRole('button', { name: 'Create rule' }).click();
    await expect(dialog.getByText('webhookUrl: must be an http:// or https:// URL')).toBeVisible();
    await dialog.getByLabel('Webhook URL').fill(receiver.url);
    await dialog.getByRole('button', { name: 'Create rule' }).click();
    await expect(dialog).toBeHidden();

    const rules = page.getByRole('table', { name: 'Alert rules' });
    const row = rules.getByRole('row').filter({ hasText: name });
    await expect(row).toContainText('more than 0 waiting in');
    // The secret part of the URL is never shown back.
    await expect(row).toContainText('http://127.0.0.1:');
    await expect(row).not.toContainText('/hooks/');
    await expect(row).toContainText('OK');

    // Real traffic: a task sent to a queue no worker reads waits there.
    const id = await sendTask(context, 'analytics.trackEvent', ['alerts', 1], { queue });
    await waitForTask(request, id, 'PENDING');

    const firing = page.getByRole('table', { name: 'Alerts firing now' });
    await expect(firing.getByRole('row').filter({ hasText: name })).toContainText(
      `1 tasks wait in ${queue}`,
      { timeout: 30_000 },
    );
    await expect(row).toContainText('Firing (1)');
    await expect
      .poll(() => receiver.received.filter((notice) => notice.status === 'firing').length, {
        timeout: 15_000,
      })
      .toBe(1);
    expect(receiver.received[0]).toMatchObject({ status: 'firing', subject: queue });

    // A test send from the row reaches the same webhook.
    await row.getByRole('button', { name: `Send a test for ${name}` }).click();
    await expect(page.getByRole('status', { name: 'Notifications' })).toContainText('Test sent');
    await expect.poll(() => receiver.received.filter((notice) => notice.status === 'test').length).toBe(1);

    // Emptying the queue resolves it: gone from the firing list, one resolved notice, still only one firing notice.
    await apiPost(context, `/api/v1/queues/${encodeURIComponent(queue)}/purge`, {});
    await expect
      .poll(() => receiver.received.filter((notice) => notice.status === 'resolved').length, {
        timeout: 30_000,
      })
      .toBe(1);
    await expect(firing.getByRole('row').filter({ hasText: name })).toHaveCount(0, { timeout: 15_000 });
    expect(receiver.received.filter((notice) => notice.status === 'firing')).toHaveLength(1);
    const history = page.getByRole('table', { name: 'Past notifications' });
    await expect(history.getByRole('row').filter({ hasText: name })).toHaveCount(3);
  } finally {
    await receiver.close();
  }
});
