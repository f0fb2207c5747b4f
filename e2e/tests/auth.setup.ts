import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { expect, test as setup } from '@playwright/test';
import { admin, adminStorageState } from './accounts.js';
import { signIn } from './sign-in.js';

// Signs in once; every test that needs the admin starts from this browser state.
setup('sign in as the admin from the environment', async ({ page }) => {
  await signIn(page, admin.email, admin.password);
  await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
  mkdirSync(dirname(adminStorageState), { recursive: true });
  await page.context().storageState({ path: adminStorageState });
});
