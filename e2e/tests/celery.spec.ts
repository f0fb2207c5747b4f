// The monitor watching Python Celery clusters beside Lovage's own workers: real Celery 5.2.6
// workers (-E) on the stack's Redis under kombu's key prefix, tasks from a Python producer, and
// the gateway configured with LOVAGE_CELERY_BROKER_URL (playwright.config.ts); and one worker on
// the stack's RabbitMQ vhost, results on Redis, watched and controlled the same way.
import { expect, test } from '@playwright/test';
import { startCeleryWorker, type CeleryWorker } from '@lovage/test-support/celery-worker';
import { peerConfig, runPythonJson } from '@lovage/test-support/python-peer';
import { apiGet } from './api.js';
import { celeryCluster, rabbitCluster } from './stack.js';
import { startCeleryBeat } from './worker-process.js';

const config = peerConfig('e2e', { brokerUrl: celeryCluster.brokerUrl, keyPrefix: celeryCluster.keyPrefix, queue: 'celery' });
const started: CeleryWorker[] = [];

async function pythonWorker(name: string, on = config): Promise<CeleryWorker> {
  const worker = await startCeleryWorker({ config: on, name, pool: 'prefork', concurrency: 2, events: true });
  started.push(worker);
  return worker;
}

test.afterEach(async () => {
  await Promise.all(started.splice(0).map((worker) => worker.stop(5_000)));
});

test("a Python worker shows online beside Lovage's own, with its cluster's badge and filter, and offline once killed", async ({ page }) => {
  // A Python worker needs seconds to start on a loaded machine, and minutes at worst.
  test.setTimeout(180_000);
  const worker = await pythonWorker('e2e-py');
  await page.goto('/workers');
  await expect(page.getByRole('heading', { level: 1, name: 'Workers' })).toBeVisible();
  const pythonRow = page.getByRole('row').filter({ has: page.getByRole('link', { name: worker.hostname, exact: true }) });
  const lovageRows = page.getByRole('row').filter({ has: page.getByRole('link', { name: /^io-\d+@/ }) });
  await expect(pythonRow.getByRole('cell', { name: 'Online', exact: true })).toBeVisible({ timeout: 30_000 });
  await expect(pythonRow).toContainText(`Celery cluster ${celeryCluster.name}`);
  await expect(lovageRows.first()).toBeVisible();
  await expect(lovageRows.first()).not.toContainText('Celery cluster');

  // The cluster itself: its events arrive, and reconciliation ran when the gateway subscribed.
  const clusters = page.getByRole('table', { name: 'Watched Celery clusters' });
  const clusterRow = clusters.getByRole('row').filter({ has: page.getByRole('rowheader', { name: celeryCluster.name }) });
  await expect(clusterRow).toContainText('Receiving');
  await expect(clusterRow.getByRole('cell').nth(1)).not.toHaveText('0');

  const cluster = page.getByRole('combobox', { name: 'Cluster', exact: true });
  await cluster.selectOption(celeryCluster.name);
  await expect(pythonRow).toBeVisible();
  await expect(lovageRows).toHaveCount(0);
  await cluster.selectOption({ label: "Lovage's own" });
  await expect(pythonRow).toHaveCount(0);
  await expect(lovageRows.first()).toBeVisible();
  await cluster.selectOption({ label: 'Any cluster' });

  // Killed without a word (no worker-offline): offline once it misses its heartbeats, by Celery's rule.
  process.kill(worker.pid, 'SIGKILL');
  await expect(pythonRow.getByRole('cell', { name: 'Offline', exact: true })).toBeVisible({ timeout: 30_000 });
});

test('tasks from a Python producer appear live with their args, result, traceback and each retry', async ({ page }) => {
  test.setTimeout(180_000);
  const worker = await pythonWorker('e2e-py-tasks');
  await page.goto(`/tasks?cluster=${celeryCluster.name}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Tasks' })).toBeVisible();
  await expect(page.getByRole('combobox', { name: 'Cluster', exact: true })).toHaveValue(celeryCluster.name);
  // A marker a reload would wipe: the rows below must arrive over the live feed.
  await page.evaluate(() => document.body.setAttribute('data-e2e-loaded-once', 'yes'));

  const sent = await runPythonJson<{ add: string; fail: string; retry: string }>(
    `
import json
from peer_project.tasks import add, fail, retry
print(json.dumps({'add': add.delay(20, 22).id, 'fail': fail.delay('card declined').id, 'retry': retry.delay(2).id}))
`,
    config,
  );
  const rowOf = (id: string) => page.locator(`[role="row"][data-task-id="${id}"]`);
  for (const id of [sent.add, sent.fail, sent.retry]) {
    await expect(rowOf(id)).toBeVisible({ timeout: 30_000 });
    await expect(rowOf(id)).toContainText(`Celery cluster ${celeryCluster.name}`);
  }
  await expect(rowOf(sent.add)).toContainText('SUCCESS', { timeout: 30_000 });
  await expect(page.locator('body')).toHaveAttribute('data-e2e-loaded-once', 'yes');

  await page.goto(`/tasks/${sent.add}`);
  await expect(page.getByRole('heading', { level: 1, name: /peer\.add/ })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Arguments' })).toContainText('(20, 22)');
  await expect(page.getByRole('region', { name: 'Result' })).toContainText('42');
  await expect(page.getByRole('region', { name: 'Details' })).toContainText(worker.hostname);
  await expect(page.getByRole('region', { name: 'Details' })).toContainText(celeryCluster.name);

  await page.goto(`/tasks/${sent.fail}`);
  await expect(page.getByRole('heading', { level: 1, name: /peer\.fail/ })).toBeVisible();
  await expect(page.getByText('FAILURE', { exact: true }).first()).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole('region', { name: 'Result' })).toContainText('PeerTaskError: card declined');
  const attempt = page.getByRole('region', { name: 'Retry history' }).getByRole('listitem', { name: 'Attempt 1' });
  await attempt.getByText('Stack trace', { exact: true }).click();
  await expect(attempt).toContainText('Traceback (most recent call last)');
  await expect(attempt).toContainText('raise PeerTaskError(message)');

  await page.goto(`/tasks/${sent.retry}`);
  const history = page.getByRole('region', { name: 'Retry history' });
  await expect(history.getByRole('listitem', { name: /^Attempt \d+$/ })).toHaveCount(3, { timeout: 30_000 });
  await expect(history.getByRole('listitem', { name: 'Attempt 1' })).toContainText('RETRY');
  await expect(history.getByRole('listitem', { name: 'Attempt 3' })).toContainText('SUCCESS');
});

test("an operator terminates a running Python task and grows a Python worker's pool from the dashboard", async ({ page }) => {
  test.setTimeout(180_000);
  const worker = await pythonWorker('e2e-py-ops');
  const { id } = await runPythonJson<{ id: string }>(
    `
import json
from peer_project.tasks import sleep
print(json.dumps({'id': sleep.delay(300).id}))
`,
    config,
  );
  await page.goto(`/tasks/${id}`);
  const heading = page.getByRole('heading', { level: 1 });
  await expect(heading).toContainText('STARTED', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Terminate', exact: true }).click();
  await page.getByRole('dialog', { name: 'Terminate this task?' }).getByRole('button', { name: 'Terminate' }).click();
  // The worker's pidbox kills the child running it, and its task-revoked event comes back live.
  await expect(heading).toContainText('REVOKED', { timeout: 30_000 });

  await page.goto(`/workers/${encodeURIComponent(worker.hostname)}`);
  const limits = page.getByRole('region', { name: 'Pool and limits' });
  await expect(limits.getByText('Pool size: 2', { exact: true })).toBeVisible({ timeout: 30_000 });
  await limits.getByRole('button', { name: 'Grow pool' }).click();
  await expect(page.getByRole('status', { name: 'Notifications' })).toContainText(`${worker.hostname}: pool_grow`);
  await expect(limits.getByText('Pool size: 3', { exact: true })).toBeVisible({ timeout: 30_000 });
});

test("a Celery cluster's Lovage beat shows its schedules on the Schedules page, where an operator pauses and runs one", async ({ page, request }) => {
  test.setTimeout(180_000);
  await pythonWorker('e2e-py-beat');
  // The cluster's beat: `lovage beat` on an app in protocol 'celery', its schedules under the prefix the gateway reads.
  const beat = await startCeleryBeat(config.queue);
  try {
    await page.goto('/schedules');
    const row = page.getByRole('row', { name: /py-hourly-describe/ });
    await expect(row).toContainText('Celery cluster shop');
    const enabled = row.getByRole('switch', { name: 'Enabled: py-hourly-describe (shop)' });
    await expect(enabled).toBeChecked();
    // The input is visually hidden behind its drawn switch (as in schedules.spec.ts).
    await enabled.uncheck({ force: true });
    await expect(enabled).not.toBeChecked();
    // The page edited the store that beat reads (the cluster's Redis, under the beat's prefix).
    await expect
      .poll(async () => (await apiGet<{ schedule: { enabled: boolean } }>(request, '/api/v1/schedules/py-hourly-describe?cluster=shop')).body.schedule?.enabled)
      .toBe(false);

    await row.getByRole('link', { name: 'py-hourly-describe' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'py-hourly-describe' })).toBeVisible();
    await page.getByRole('button', { name: 'Run now' }).click();
    // The beat sends it as a Celery message, the Python worker runs it, and the page counts the run.
    await expect(page.getByText(/has sent it 1 time\b/)).toBeVisible({ timeout: 30_000 });
    await page.goto('/tasks?name=peer.describe&cluster=shop');
    await expect(page.getByRole('table', { name: 'Tasks' }).getByRole('row').filter({ hasText: 'from the beat' }).first()).toContainText('SUCCESS', { timeout: 30_000 });
  } finally {
    await beat.stop();
  }
});

test('a Python worker on RabbitMQ is watched and controlled from the dashboard: its row, its pool, a task sent to it and its queue', async ({ page }) => {
  test.setTimeout(180_000);
  // Celery's exchanges and queues in the stack's own vhost; results in the cluster's Redis database.
  const rabbit = peerConfig('e2e-rabbit', { brokerUrl: rabbitCluster.brokerUrl, resultBackend: rabbitCluster.resultBackend });
  // The page loads while the worker starts; from there on the test moves through the dashboard's own links.
  const [worker] = await Promise.all([pythonWorker('e2e-py-rabbit', rabbit), page.goto('/workers')]);
  const nav = page.getByRole('navigation', { name: 'Main' });

  const workerLink = page.getByRole('link', { name: worker.hostname, exact: true });
  const workerRow = page.getByRole('row').filter({ has: workerLink });
  await expect(workerRow.getByRole('cell', { name: 'Online', exact: true })).toBeVisible({ timeout: 30_000 });
  await expect(workerRow).toContainText(`Celery cluster ${rabbitCluster.name}`);
  const clusters = page.getByRole('table', { name: 'Watched Celery clusters' });
  await expect(clusters.getByRole('row').filter({ has: page.getByRole('rowheader', { name: rabbitCluster.name }) })).toContainText('Receiving');

  // Control over the cluster's pidbox exchange: the worker grows its pool and says so in its next stats.
  await workerLink.click();
  const limits = page.getByRole('region', { name: 'Pool and limits' });
  await expect(limits.getByText('Pool size: 2', { exact: true })).toBeVisible({ timeout: 30_000 });
  await limits.getByRole('button', { name: 'Grow pool' }).click();
  await expect(page.getByRole('status', { name: 'Notifications' })).toContainText(`${worker.hostname}: pool_grow`);
  await expect(limits.getByText('Pool size: 3', { exact: true })).toBeVisible({ timeout: 30_000 });

  // Sent from the dashboard onto the worker's queue: a Celery message published on RabbitMQ.
  await nav.getByRole('link', { name: 'Tasks', exact: true }).click();
  await page.getByRole('button', { name: 'Send task', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Send a task' });
  await dialog.getByRole('combobox', { name: 'Task name', exact: true }).fill('peer.add');
  await dialog.getByRole('combobox', { name: 'Send to', exact: true }).selectOption(rabbitCluster.name);
  await dialog.getByRole('textbox', { name: 'Queue', exact: true }).fill(rabbit.queue);
  await dialog.getByRole('textbox', { name: 'Arguments (JSON)', exact: true }).fill('[20, 22]');
  await dialog.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: /peer\.add/ })).toContainText('SUCCESS', { timeout: 30_000 });
  await expect(page.getByRole('region', { name: 'Result' })).toContainText('42');
  const details = page.getByRole('region', { name: 'Details' });
  await expect(details).toContainText(worker.hostname);
  await expect(details).toContainText(rabbitCluster.name);

  // The queue the worker consumes, its depth from a passive declare: nothing left waiting.
  await nav.getByRole('link', { name: 'Queues', exact: true }).click();
  const queueRow = page
    .getByRole('table', { name: 'Queues' })
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: `${rabbit.queue} Celery cluster ${rabbitCluster.name}` }) });
  await expect(queueRow.getByRole('cell').first()).toHaveText('0');
});
