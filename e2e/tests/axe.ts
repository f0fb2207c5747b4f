// axe-core's checks, as the e2e suite runs them: every rule axe has (WCAG 2 A and AA, and its
// best practices), on the page as it is now or inside one element. In the dark project only the
// rules whose answer depends on colours run: the same tests ran every rule in light, on the same
// markup, and the others cannot answer differently.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';

const colourRules = ['color-contrast', 'link-in-text-block'];

/** Fails on any violation, listing each with its rule, impact and the elements it was found on. */
export async function expectNoViolations(page: Page, what: string, scope?: string): Promise<void> {
  const builder = new AxeBuilder({ page });
  if (test.info().project.name === 'dark') builder.withRules(colourRules);
  const { violations } = await (scope ? builder.include(scope) : builder).analyze();
  const found = violations.map(
    (violation) => `${violation.id} (${violation.impact ?? 'unknown'}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
  );
  expect(found, `axe violations on ${what}`).toEqual([]);
}
