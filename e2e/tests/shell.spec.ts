import { expect, test } from '@playwright/test';
import { admin } from './accounts.js';
import { expectDataShown, pages } from './pages.js';

// Signed in as the admin (the project's storageState from auth.setup.ts).

test('the home page shows the Lovage header and a main navigation with every section', async ({ page }) => {
  await page.goto('/');
  const banner = page.getByRole('banner');
  await expect(banner.getByRole('link', { name: 'Lovage' })).toBeVisible();
  await expect(banner.getByLabel('Signed in as')).toHaveText(`${admin.email} admin`);
  await expect(banner.getByRole('button', { name: 'Sign out' })).toBeVisible();
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav).toBeVisible();
  // Every section, in this order, and nothing else (one check, not one per link).
  await expect(nav.getByRole('link')).toHaveText(pages.map(({ name }) => name));
  await expect(nav.getByRole('link', { name: 'Overview', exact: true })).toHaveAttribute(
    'aria-current',
    'page',
  );
});

test('the overview reports the gateway as healthy', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('status', { name: 'Gateway health' })).toHaveText('Gateway: ok');
});

test('every navigation link leads to a page with its own heading', async ({ page }) => {
  // One page load's worth of time per section.
  test.setTimeout(pages.length * 15_000);
  await page.goto('/');
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const { name, path, heading } of pages) {
    await nav.getByRole('link', { name, exact: true }).click();
    await expect(page).toHaveURL(path);
    await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
    await expect(nav.getByRole('link', { name, exact: true })).toHaveAttribute('aria-current', 'page');
  }
});

test('the navigation is reachable with the keyboard alone', async ({ page }) => {
  await page.goto('/');
  const tasks = page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: 'Tasks', exact: true });
  for (let presses = 0; presses < 15; presses += 1) {
    await page.keyboard.press('Tab');
    if (await tasks.evaluate((element) => element === document.activeElement)) break;
  }
  await expect(tasks).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'Tasks' })).toBeVisible();
});

test('an unknown address shows a not-found page with a way back', async ({ page }) => {
  const response = await page.goto('/no-such-page');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Back to the overview' })).toBeVisible();
});

test('every page loads without errors in the browser console', async ({ page }) => {
  // One page load's worth of time per section.
  test.setTimeout(pages.length * 15_000);
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
  for (const { path, heading } of pages) {
    await page.goto(path);
    await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
    // The page's client-side requests (react-query) have answered: a failed one would have
    // logged its error by now.
    await expectDataShown(page);
  }
  expect(problems).toEqual([]);
});
