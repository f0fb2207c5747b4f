import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { pages } from './pages.js';

const screenshotDir = new URL('../screenshots/', import.meta.url).pathname;

async function captureInScheme(page: Page, testInfo: TestInfo, path: string, heading: string, slug: string) {
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
  // Client-side data (react-query) arrives after the heading; capture the settled page.
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: `${screenshotDir}${scheme}-${slug}.png`, fullPage: true });
}

// Signed in as the admin: the project's storageState from auth.setup.ts.
for (const { path, heading, slug } of pages) {
  test(`the ${heading} page renders in the project's colour scheme and is captured`, async ({
    page,
  }, testInfo) => {
    await captureInScheme(page, testInfo, path, heading, slug);
  });
}

test.describe('signed out', () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test("the sign-in page renders in the project's colour scheme and is captured", async ({
    page,
  }, testInfo) => {
    await captureInScheme(page, testInfo, '/login', 'Sign in', 'sign-in');
  });
});
