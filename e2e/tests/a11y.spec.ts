// axe-core's checks over every dialog of the dashboard and the pages the screenshots spec does
// not visit, in light and in dark (axe.ts switches the scheme: contrast differs between them).
// The sections' pages, a task's and a worker's page and the sign-in page are checked where
// screenshots.spec.ts captures them. Any violation fails the test, listed with its rule, impact
// and the elements it was found on.
import { expect, test, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { uniqueEmail } from './accounts.js';
import { apiGet, apiPost, sendTask, unique, waitForTask } from './api.js';
import { expectNoViolations } from './axe.js';
import { expectDataShown } from './pages.js';
import { killStartedWorkers, startWorker } from './worker-process.js';

test.afterEach(killStartedWorkers);

/** Opens a page and waits until it shows its data, as a reader would see it. */
async function open(page: Page, path: string, heading: string | RegExp): Promise<void> {
  await page.goto(path);
  await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
  await expectDataShown(page);
}

/**
 * Clicks `trigger`, checks the dialog it opens (the page behind a modal is inert, so only the
 * dialog is checked), then cancels it, so nothing is changed.
 */
async function checkDialog(page: Page, trigger: Locator, title: string | RegExp): Promise<void> {
  await trigger.click();
  const dialog = page.getByRole('dialog', { name: title });
  await expect(dialog).toBeVisible();
  await expectNoViolations(page, `the "${String(title)}" dialog`, 'dialog[open]');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
}

/** The first link on `listPath` whose href matches `href`, once the list shows it. */
async function firstLinkTo(page: Page, listPath: string, href: RegExp): Promise<string> {
  await page.goto(listPath);
  const links = page.getByRole('main').locator('a[href]');
  const matching = async () => (await links.evaluateAll((anchors) => anchors.map((anchor) => anchor.getAttribute('href') ?? ''))).filter((value) => href.test(value));
  await expect.poll(async () => (await matching()).length, { message: `a link on ${listPath} matching ${String(href)}` }).toBeGreaterThan(0);
  return (await matching())[0] ?? '';
}

/** A task waiting in a queue no worker consumes: it stays PENDING, so it can be revoked. */
async function pendingTask(context: BrowserContext, page: Page): Promise<{ id: string; queue: string }> {
  const queue = unique('a11y');
  const id = await sendTask(context, 'analytics.trackEvent', ['a11y', 1], { queue });
  await waitForTask(page.request, id);
  return { id, queue };
}

test("a task's page, its revoke dialog and the bulk dialogs on Tasks pass axe", async ({ page, context }) => {
  const { id, queue } = await pendingTask(context, page);
  await open(page, `/tasks/${encodeURIComponent(id)}`, /^analytics\.trackEvent/);
  await expectNoViolations(page, "a pending task's page");
  await checkDialog(page, page.getByRole('button', { name: 'Revoke', exact: true }), 'Revoke this task?');
  await open(page, `/tasks?queue=${encodeURIComponent(queue)}`, 'Tasks');
  await page.getByRole('checkbox', { name: `Select task ${id}` }).check();
  await checkDialog(page, page.getByRole('button', { name: 'Revoke selected' }), 'Revoke tasks?');
  await checkDialog(page, page.getByRole('button', { name: 'Retry selected' }), 'Retry tasks?');
});

test("a queue's purge dialog passes axe", async ({ page }) => {
  await open(page, '/queues', 'Queues');
  const purge = page.getByRole('button', { name: /^Purge / }).first();
  const queue = ((await purge.getAttribute('aria-label')) ?? '').slice('Purge '.length);
  await checkDialog(page, purge, `Purge ${queue}?`);
});

test("a worker's shutdown dialog passes axe", async ({ page }) => {
  const path = await firstLinkTo(page, '/workers', /^\/workers\/.+/);
  const hostname = decodeURIComponent(path.slice('/workers/'.length));
  await open(page, path, hostname);
  await checkDialog(page, page.getByRole('button', { name: 'Shut down' }), `Shut down ${hostname}?`);
});

test("the settings' delete-user and revoke-token dialogs pass axe", async ({ page, context }) => {
  const email = uniqueEmail('a11y');
  // A name that cannot wrap: its audit entry makes the Audit log's table scroll sideways when
  // screenshots.spec.ts checks that page after this spec.
  const token = `a11y-${'x'.repeat(70)}-${unique('t')}`;
  await apiPost(context, '/api/v1/users', { email, password: 'a11y-password-1', role: 'viewer' });
  await apiPost(context, '/api/v1/tokens', { name: token, role: 'viewer' });
  await open(page, '/settings', 'Settings');
  await checkDialog(page, page.getByRole('button', { name: `Delete user ${email}` }), 'Delete this user?');
  await checkDialog(page, page.getByRole('button', { name: `Revoke token ${token}` }), 'Revoke this token?');
});

test("a schedule's page, its delete dialog and the schedule forms pass axe", async ({ page }) => {
  const path = await firstLinkTo(page, '/schedules', /^\/schedules\/(?!new$)[^/]+$/);
  const name = decodeURIComponent(path.slice('/schedules/'.length));
  await open(page, path, name);
  await expectNoViolations(page, "a schedule's page");
  await checkDialog(page, page.getByRole('button', { name: 'Delete' }), `Delete ${name}?`);
  await open(page, `${path}/edit`, new RegExp(name.replaceAll('.', '\\.')));
  await expectNoViolations(page, "a schedule's edit form");
  await open(page, '/schedules/new', /schedule/i);
  await expectNoViolations(page, 'the new-schedule form');
});

test('an offline worker on the Workers page, and the dead-letter dialogs, pass axe', async ({ page, context, request }) => {
  // A worker whose task refuses every message: the broker dead-letters it. Stopped afterwards,
  // so the Workers page lists it as offline (drawn differently from an online one).
  const worker = await startWorker('a11y-dead');
  const id = await sendTask(context, 'e2e.refuse', ['refused for the a11y check'], { queue: worker.queue });
  await expect
    .poll(async () => (await apiGet<{ deadLetters: unknown[] }>(request, `/api/v1/dead-letters?queue=${worker.queue}`)).body.deadLetters.length)
    .toBe(1);
  expect(await worker.stop()).toBe(0);
  await open(page, '/workers', 'Workers');
  await expect(page.getByRole('row').filter({ hasText: worker.queue }).getByRole('cell', { name: 'Offline' })).toBeVisible();
  await expectNoViolations(page, 'the Workers page with an offline worker');
  await open(page, `/dead-letters?queue=${encodeURIComponent(worker.queue)}`, 'Dead letters');
  await checkDialog(page, page.getByRole('button', { name: `Drop ${id}` }), 'Drop dead letters?');
  await checkDialog(page, page.getByRole('button', { name: `Requeue ${id}` }), 'Requeue dead letters?');
});

test('the Send task, Run again with…, Find anything and shortcut dialogs pass axe', async ({ page, context, request }) => {
  // No such order: the task fails, so it can be run again.
  const id = await sendTask(context, 'payments.callPaymentApi', [987_654_321]);
  await waitForTask(request, id, 'FAILURE');
  await open(page, `/tasks/${encodeURIComponent(id)}`, /^payments\.callPaymentApi/);
  await checkDialog(page, page.getByRole('button', { name: 'Run again with…' }), 'Run payments.callPaymentApi again');
  await open(page, '/tasks', 'Tasks');
  await checkDialog(page, page.getByRole('button', { name: 'Send task' }), 'Send a task');

  await page.getByRole('button', { name: 'Find anything' }).click();
  const palette = page.getByRole('dialog', { name: 'Find anything' });
  await palette.getByRole('combobox').fill('w');
  await expect(palette.getByRole('option').first()).toBeVisible();
  await expectNoViolations(page, 'the "Find anything" dialog', 'dialog[open]');
  await page.keyboard.press('Escape');
  await expect(palette).toBeHidden();

  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toBeVisible();
  await expectNoViolations(page, 'the "Keyboard shortcuts" dialog', 'dialog[open]');
  await help.getByRole('button', { name: 'Close' }).click();
  await expect(help).toBeHidden();
});

test('the not-found page passes axe', async ({ page }) => {
  await page.goto('/no-such-page');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expectNoViolations(page, 'the not-found page');
});

test("the Alerts page's new-rule dialog passes axe", async ({ page }) => {
  await open(page, '/alerts', 'Alerts');
  await checkDialog(page, page.getByRole('button', { name: 'New rule' }), 'New alert rule');
});
