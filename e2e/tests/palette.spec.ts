import { expect, test, type Page } from '@playwright/test';
import { sendTask, unique, waitForTask } from './api.js';

// Signed in as the admin (storageState). The keys are pressed once the page is live (hydrated:
// its shortcuts are listened for), which the header's live indicator shows.

async function pageIsLive(page: Page): Promise<void> {
  await expect(page.getByRole('status', { name: 'Live updates' })).toHaveText('Live');
}

test('the palette (Ctrl-K) jumps to a task by its exact id; arrows and Enter choose; Escape closes', async ({ page, context, request }) => {
  const id = await sendTask(context, 'analytics.trackEvent', [unique('palette'), 3]);
  await waitForTask(request, id);
  await page.goto('/workers');
  await expect(page.getByRole('heading', { level: 1, name: 'Workers' })).toBeVisible();
  await pageIsLive(page);

  await page.keyboard.press('Control+k');
  const dialog = page.getByRole('dialog', { name: 'Find anything' });
  const search = dialog.getByRole('combobox', { name: 'Task id, worker, queue, schedule or page' });
  await expect(search).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  await page.getByRole('button', { name: 'Find anything' }).click();
  await expect(search).toBeFocused();
  await search.fill(id);
  const option = dialog.getByRole('option', { name: /analytics\.trackEvent/ });
  await expect(option).toBeVisible();
  await expect(option).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/tasks/${id}$`));
  await expect(page.getByRole('heading', { level: 1, name: /analytics\.trackEvent/ })).toBeVisible();
  await expect(dialog).toBeHidden();

  // A fuzzy page name, chosen with the arrows.
  await page.keyboard.press('Control+k');
  await search.fill('sched');
  await expect(dialog.getByRole('option', { name: /Schedules/ }).first()).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/schedules$/);
});

test('"g" then a letter goes to a page, and "?" lists the shortcuts', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
  await pageIsLive(page);
  // The page handles "t" 2 s after it was typed, longer than the chord's 1.5 s (as a page busy
  // rendering on a loaded machine would): the chord counts the time between the keystrokes as typed.
  await page.evaluate(() => {
    const busyOnT = (event: KeyboardEvent): void => {
      if (event.key !== 't') return;
      window.removeEventListener('keydown', busyOnT, { capture: true });
      const until = performance.now() + 2_000;
      while (performance.now() < until);
    };
    window.addEventListener('keydown', busyOnT, { capture: true });
  });
  await page.keyboard.press('g');
  await page.keyboard.press('t');
  await expect(page).toHaveURL(/\/tasks$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Tasks' })).toBeVisible();
  await page.keyboard.press('g');
  await page.keyboard.press('q');
  await expect(page.getByRole('heading', { level: 1, name: 'Queues' })).toBeVisible();

  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toContainText('Go to Workers');
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();
  // Typing in a field is not a shortcut.
  await page.goto('/tasks');
  await page.getByLabel('Task name').fill('gw');
  await expect(page).toHaveURL(/\/tasks$/);
});
