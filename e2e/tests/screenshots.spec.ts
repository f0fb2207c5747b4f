import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { apiGet } from './api.js';
import { expectNoViolations } from './axe.js';
import { expectDataShown, pages } from './pages.js';

const screenshotDir = new URL('../screenshots/', import.meta.url).pathname;

async function captureInScheme(page: Page, testInfo: TestInfo, path: string, heading: string | RegExp, slug: string) {
  await page.goto(path);
  await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
  const scheme = testInfo.project.name === 'dark' ? 'dark' : 'light';
  const prefersDark = await page.evaluate(() => window.matchMedia('(prefers-color-scheme: dark)').matches);
  expect(prefersDark).toBe(scheme === 'dark');
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  // Light theme paints a near-white page, dark theme a near-black one.
  const channels = (background.match(/\d+/g) ?? []).slice(0, 3).map(Number);
  const brightness = channels.reduce((sum, channel) => sum + channel, 0) / 3;
  if (scheme === 'dark') expect(brightness).toBeLessThan(60);
  else expect(brightness).toBeGreaterThan(200);
  // Client-side data (react-query) arrives after the heading; capture the page with its data.
  await expectDataShown(page);
  // Nothing may push the page sideways: wide tables scroll inside their own box.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(page.viewportSize()?.width ?? 1280);
  // The page as captured passes axe in this scheme (contrast differs between the two).
  await expectNoViolations(page, `the ${slug} page in ${scheme}`);
  await page.screenshot({ path: `${screenshotDir}${scheme}-${slug}.png`, fullPage: true });
}

// Signed in as the admin: the project's storageState from auth.setup.ts.
for (const { path, heading, slug } of pages) {
  test(`the ${heading} page renders in the project's colour scheme, passes axe and is captured`, async ({
    page,
  }, testInfo) => {
    await captureInScheme(page, testInfo, path, heading, slug);
  });
}

test("a task's detail page renders in the project's colour scheme, passes axe and is captured", async ({ page, request }, testInfo) => {
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
  await captureInScheme(page, testInfo, `/tasks/${encodeURIComponent(id)}`, new RegExp(`^${name.replaceAll('.', '\\.')}`), 'task-detail');
});

test("a worker's detail page renders in the project's colour scheme, passes axe and is captured", async ({ page, request }, testInfo) => {
  // The demo's async-pool worker (`io-<pid>@host`).
  const { body } = await apiGet<{ workers: { hostname: string; online: boolean }[] }>(request, '/api/v1/workers');
  const worker = body.workers.find((item) => item.online && item.hostname.startsWith('io-'));
  expect(worker, 'the demo worker is online').toBeDefined();
  const hostname = worker?.hostname ?? '';
  await captureInScheme(page, testInfo, `/workers/${encodeURIComponent(hostname)}`, hostname, 'worker-detail');
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  for (const { path, heading, slug } of pages.filter((item) => item.slug === 'overview' || item.slug === 'tasks')) {
    test(`the ${heading} page fits a phone's width, passes axe and is captured`, async ({ page }, testInfo) => {
      await captureInScheme(page, testInfo, path, heading, `phone-${slug}`);
    });
  }
});

test.describe('signed out', () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test("the sign-in page renders in the project's colour scheme, passes axe and is captured", async ({
    page,
  }, testInfo) => {
    await captureInScheme(page, testInfo, '/login', 'Sign in', 'sign-in');
  });
});
