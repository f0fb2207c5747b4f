import { expect, test } from '@playwright/test';
import { admin } from './accounts.js';
import { signIn, submitSignIn } from './sign-in.js';

// Alerts are looked up inside <main>: Next's route announcer is an alert region of its own.
// These run signed out, once (not per colour scheme): each failed sign-in counts towards the
// gateway's login rate limit.

test('the sign-in page has a labelled email and password and a Sign in button', async ({ page }) => {
  await page.goto('/login');
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await expect(page.getByLabel('Email')).toBeVisible();
  await expect(page.getByLabel('Password')).toHaveAttribute('type', 'password');
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
  await expect(page.getByRole('main').getByRole('alert')).toHaveCount(0);
});

test('a signed-out visitor is sent to sign in, and back to the page they wanted afterwards', async ({
  page,
}) => {
  await page.goto('/tasks');
  await expect(page).toHaveURL('/login?next=/tasks');
  await submitSignIn(page, admin.email, admin.password);
  await expect(page).toHaveURL('/tasks');
  await expect(page.getByRole('heading', { level: 1, name: 'Tasks' })).toBeVisible();
});

test('signing in as the admin lands on the overview with the email and role in the header; signing out returns to sign-in', async ({
  page,
}) => {
  await signIn(page, admin.email, admin.password);
  await expect(page).toHaveURL('/');
  await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
  const banner = page.getByRole('banner');
  await expect(banner.getByLabel('Signed in as')).toHaveText(`${admin.email} admin`);

  await banner.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL('/login');
  // The session is over on the gateway too, not just forgotten by this page.
  await page.goto('/settings');
  await expect(page).toHaveURL('/login?next=/settings');
  const me = await page.request.get('/api/v1/auth/me');
  expect(me.status()).toBe(401);
});

test('a wrong password shows an alert and keeps the visitor on the sign-in page', async ({ page }) => {
  await page.goto('/login');
  await submitSignIn(page, admin.email, 'not-the-password');
  await expect(page.getByRole('main').getByRole('alert')).toHaveText('Wrong email or password.');
  await expect(page).toHaveURL('/login');
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
});

test('the form is disabled while signing in, so it cannot be sent twice', async ({ page }) => {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/api/v1/auth/login', async (route) => {
    await held;
    await route.continue();
  });
  await page.goto('/login');
  await submitSignIn(page, admin.email, admin.password);
  await expect(page.getByRole('button', { name: 'Signing in…' })).toBeDisabled();
  await expect(page.getByLabel('Email')).toBeDisabled();
  release();
  await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
});

test('?next= only ever leads to a page of the dashboard, never to another site', async ({ page }) => {
  await page.goto('/login?next=//evil.example/steal');
  await submitSignIn(page, admin.email, admin.password);
  await expect(page).toHaveURL('/');
  await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
});

test('a session cookie the gateway does not know is treated as signed out', async ({ page, context }) => {
  await context.addCookies([
    { name: 'lovage_session', value: 'forged-or-expired', url: 'http://127.0.0.1:3000' },
  ]);
  await page.goto('/workers');
  await expect(page).toHaveURL('/login?next=/workers');
});

test('the API is served from the dashboard origin and answers 401 without a session', async ({ request }) => {
  const response = await request.get('/api/v1/auth/me');
  expect(response.status()).toBe(401);
  const body = (await response.json()) as { error?: { code?: unknown } };
  expect(typeof body.error?.code).toBe('string');
});
