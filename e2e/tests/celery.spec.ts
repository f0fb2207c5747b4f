// The monitor watching a Python Celery cluster beside Lovage's own workers: real Celery 5.2.6
// workers (-E) on the stack's Redis under kombu's key prefix, tasks from a Python producer, and
// the gateway configured with LOVAGE_CELERY_BROKER_URL (playwright.config.ts).
import { expect, test } from '@playwright/test';
import { startCeleryWorker, type CeleryWorker } from '@lovage/test-support/celery-worker';
import { peerConfig, runPythonJson } from '@lovage/test-support/python-peer';
import { celeryCluster } from './stack.js';

const config = peerConfig('e2e', { brokerUrl: celeryCluster.brokerUrl, keyPrefix: celeryCluster.keyPrefix, queue: 'celery' });
const started: CeleryWorker[] = [];

async function pythonWorker(name: string): Promise<CeleryWorker> {
  const worker = await startCeleryWorker({ config, name, pool: 'prefork', concurrency: 2, events: true });
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
