import { expect, type Page } from '@playwright/test';

/** The dashboard's sections as the navigation names them, with their URL and heading. */
export const pages = [
  { name: 'Overview', path: '/', heading: 'Overview', slug: 'overview' },
  { name: 'Tasks', path: '/tasks', heading: 'Tasks', slug: 'tasks' },
  { name: 'Workers', path: '/workers', heading: 'Workers', slug: 'workers' },
  { name: 'Queues', path: '/queues', heading: 'Queues', slug: 'queues' },
  { name: 'Schedules', path: '/schedules', heading: 'Schedules', slug: 'schedules' },
  { name: 'Dead letters', path: '/dead-letters', heading: 'Dead letters', slug: 'dead-letters' },
  { name: 'Audit log', path: '/audit', heading: 'Audit log', slug: 'audit-log' },
  { name: 'Alerts', path: '/alerts', heading: 'Alerts', slug: 'alerts' },
  { name: 'Settings', path: '/settings', heading: 'Settings', slug: 'settings' },
] as const;

/**
 * Waits until the page shows its data, as a reader would see it: no loading skeleton (they are
 * marked aria-busy) and no "Loading…" line left in the main content. Pages keep a live socket and
 * refetch on their own, so the network never goes idle; this is the state to wait for instead.
 */
export async function expectDataShown(page: Page): Promise<void> {
  const main = page.getByRole('main');
  await expect(main.locator('[aria-busy="true"]')).toHaveCount(0);
  await expect(main.getByText(/^Loading\b/)).toHaveCount(0);
}
