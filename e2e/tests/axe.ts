// axe-core's checks, as the e2e suite runs them: every rule axe has (WCAG 2 A and AA, and its
// best practices), on the page as it is now or inside one element, in both colour schemes. The
// page is checked in light with every rule, then switched to dark (as a reader's system setting
// would switch it) and checked with the rules whose answer depends on colours: the markup is the
// same, so the others cannot answer differently. It is back in light afterwards.
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

export type Scheme = 'light' | 'dark';

const colourRules = ['color-contrast', 'link-in-text-block'];

/** Switches the page's prefers-color-scheme, and waits until the page sees it. */
export async function useScheme(page: Page, scheme: Scheme): Promise<void> {
  await page.emulateMedia({ colorScheme: scheme });
  await expect.poll(() => page.evaluate(() => window.matchMedia('(prefers-color-scheme: dark)').matches)).toBe(scheme === 'dark');
}

/** Fails on any violation in either scheme, listing each with its rule, impact and the elements it was found on. */
export async function expectNoViolations(page: Page, what: string, scope?: string): Promise<void> {
  await expectNoViolationsIn(page, 'light', what, scope);
  await useScheme(page, 'dark');
  await expectNoViolationsIn(page, 'dark', what, scope);
  await useScheme(page, 'light');
}

async function expectNoViolationsIn(page: Page, scheme: Scheme, what: string, scope: string | undefined): Promise<void> {
  const builder = new AxeBuilder({ page });
  if (scheme === 'dark') builder.withRules(colourRules);
  const { violations } = await (scope ? builder.include(scope) : builder).analyze();
  const found = violations.map(
    (violation) => `${violation.id} (${violation.impact ?? 'unknown'}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
  );
  expect(found, `axe violations on ${what} in ${scheme}`).toEqual([]);
}
