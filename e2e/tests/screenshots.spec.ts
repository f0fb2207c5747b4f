// Every section's page, a task's and a worker's page, two pages on a phone and the sign-in page,
// each opened once and looked at in light and in dark: drawn in that scheme, not wider than the
// window, passing axe (axe.ts checks both schemes) and captured to e2e/screenshots/<scheme>-<page>.png.
import { expect, test, type Page } from '@playwright/test';
import { apiGet } from './api.js';
import { expectNoViolations, useScheme, type Scheme } from './axe.js';
import { expectDataShown, pages } from './pages.js';

const screenshotDir = new URL('../screenshots/', import.meta.url).pathname;

/** The page's background, 0 (black) to 255 (white). */
function brightness(page: Page): Promise<number> {
  return page.evaluate(() => {
    const channels = (getComputedStyle(document.body).backgroundColor.match(/\d+/g) ?? []).slice(0, 3).map(Number);
    return channels.reduce((sum, channel) => sum + channel, 0) / 3;
  });
}

async function captureInBothSchemes(page: Page, path: string, heading: string | RegExp, slug: string): Promise<void> {
  await page.goto(path);
  await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
  // Client-side data (react-query) arrives after the heading; capture the page with its data.
  await expectDataShown(page);
  await expectNoViolations(page, `the ${slug} page`);
  for (const scheme of ['light', 'dark'] as Scheme[]) {
    await useScheme(page, scheme);
    // Light theme paints a near-white page, dark theme a near-black one.
    if (scheme === 'dark') await expect.poll(() => brightness(page), { message: `the ${slug} page in dark` }).toBeLessThan(60);
    else await expect.poll(() => brightness(page), { message: `the ${slug} page in light` }).toBeGreaterThan(200);
    // Nothing may push the page sideways: wide tables scroll inside their own box.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(page.viewportSize()?.width ?? 1280);
    await page.screenshot({ path: `${screenshotDir}${scheme}-${slug}.png`, fullPage: true });
  }
}

// Signed in as the admin: the project's storageState from auth.setup.ts.
for (const { path, heading, slug } of pages) {
  test(`the ${heading} page renders in light and dark, passes axe in both and is captured`, async ({
    page,
  }) => {
    await captureInBothSchemes(page, path, heading, slug);
  });
}

test("a task's detail page renders in light and dark, passes axe in both and is captured", async ({ page, request }) => {
  // A payment of the demo's: flaky on purpose, so its history often shows retries.
  let task: { id: string; name: string } | undefined;
  await expect
    .poll(
      async () => {
        task = (await apiGet<{ tasks: { id: string; name: string }[] }>(request, '/api/v1/tasks?name=payments.callPaymentApi&state=SUCCESS&limit=1')).body.tasks[0];
        return task?.id;
      },
      { timeout: 30_000 },
    )
    .toBeTruthy();
  const { id, name } = task ?? { id: '', name: '' };
  await captureInBothSchemes(page, `/tasks/${encodeURIComponent(id)}`, new RegExp(`^${name.replaceAll('.', '\\.')}`), 'task-detail');
});

test("a worker's detail page renders in light and dark, passes axe in both and is captured", async ({ page, request }) => {
  // The demo's async-pool worker (`io-<pid>@host`).
  const { body } = await apiGet<{ workers: { hostname: string; online: boolean }[] }>(request, '/api/v1/workers');
  const worker = body.workers.find((item) => item.online && item.hostname.startsWith('io-'));
  expect(worker, 'the demo worker is online').toBeDefined();
  const hostname = worker?.hostname ?? '';
  await captureInBothSchemes(page, `/workers/${encodeURIComponent(hostname)}`, hostname, 'worker-detail');
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  for (const { path, heading, slug } of pages.filter((item) => item.slug === 'overview' || item.slug === 'tasks')) {
    test(`the ${heading} page fits a phone's width in light and dark, passes axe in both and is captured`, async ({ page }) => {
      await captureInBothSchemes(page, path, heading, `phone-${slug}`);
    });
  }
});

test.describe('signed out', () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test("the sign-in page renders in light and dark, passes axe in both and is captured", async ({
    page,
  }) => {
    await captureInBothSchemes(page, '/login', 'Sign in', 'sign-in');
  });
});
