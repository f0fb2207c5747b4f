import { expect, type Page } from '@playwright/test';

/** Fills and submits the sign-in form on the current /login page. */
export async function submitSignIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Signs in from a fresh page and waits until the dashboard shows who is signed in. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/login');
  await submitSignIn(page, email, password);
  await expect(page.getByLabel('Signed in as')).toContainText(email);
}
