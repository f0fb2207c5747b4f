import { expect, test, type Locator } from '@playwright/test';
import { sendTask } from './api.js';
import { expectNoViolations } from './axe.js';

async function valueOf(bar: Locator): Promise<number> {
  return Number((await bar.getAttribute('aria-valuenow')) ?? 'NaN');
}

// The demo's reports.build renders a report page by page, calling currentTask().progress() and
// writing a log line per page (every fifth one two lines long). The default queue runs it on the
// async pool, the images queue on the threads pool: both must show the same thing, live.
for (const [pool, queue] of [
  ['async', 'default'],
  ['threads', 'images'],
] as const) {
  test(`a task reporting progress on the ${pool} pool shows its progress bar move and its log lines appear live, multi-line lines kept`, async ({
    page,
    context,
  }) => {
    test.setTimeout(120_000);
    // Twenty pages, 600 ms each: long enough to watch it run.
    const id = await sendTask(context, 'reports.build', [20, 600], { queue });
    await page.goto(`/tasks/${id}`);
    await expect(page.getByRole('heading', { level: 1 })).toContainText('reports.build', { timeout: 30_000 });

    const bar = page.getByRole('progressbar');
    await expect(bar).toBeVisible({ timeout: 30_000 });
    // Seen while it runs, not only at the end: a value below 100, then a larger one, then 100.
    await expect.poll(() => valueOf(bar), { timeout: 30_000 }).toBeGreaterThan(0);
    const early = await valueOf(bar);
    expect(early).toBeLessThan(100);
    await expect.poll(() => valueOf(bar), { timeout: 30_000 }).toBeGreaterThan(early);

    const logs = page.getByRole('region', { name: 'Logs' });
    const lines = logs.getByRole('list', { name: 'Log lines' }).getByRole('listitem');
    await expect(lines.first()).toContainText('building a report of 20 pages');
    const countEarly = await lines.count();
    await expect.poll(() => lines.count(), { timeout: 30_000 }).toBeGreaterThan(countEarly);

    await expect(bar).toHaveAttribute('aria-valuenow', '100', { timeout: 45_000 });
    await expect(page.getByRole('heading', { level: 1 })).toContainText('SUCCESS', { timeout: 30_000 });
    // The start, one line per page and the end: 22 lines, every one of them, no reload.
    await expect(lines).toHaveCount(22, { timeout: 15_000 });
    await expect(lines.last()).toContainText('report ready');
    // A two-line message keeps its line break.
    const long = logs.locator('pre').filter({ hasText: 'page 5 is long' });
    expect(await long.innerText()).toBe('page 5 is long\nsplitting it in two columns');

    // Newest first puts the last line on top.
    await logs.getByRole('button', { name: 'Oldest first' }).click();
    await expect(logs.getByRole('button', { name: 'Newest first' })).toHaveAttribute('aria-pressed', 'true');
    await expect(lines.first()).toContainText('report ready');
    await expect(logs.getByRole('button', { name: 'Copy all log lines' })).toBeVisible();
    await expectNoViolations(page, 'a task page with its progress and log');
  });
}
