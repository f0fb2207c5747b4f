import { expect, test, type Page } from '@playwright/test';
import { adminStorageState, uniqueEmail } from './accounts.js';
import { signIn } from './sign-in.js';

async function addUser(page: Page, email: string, password: string, role: 'viewer' | 'operator' | 'admin') {
  const form = page.getByRole('form', { name: 'Add user' });
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.getByLabel('Role').selectOption(role);
  await form.getByRole('button', { name: 'Add user' }).click();
  await expect(page.getByRole('status', { name: 'Notifications' })).toContainText('User added');
}

test.describe('as the admin', () => {
  test.use({ storageState: adminStorageState });

  test('the admin adds an operator, who then appears in the users list with that role', async ({ page }) => {
    const email = uniqueEmail('operator');
    await page.goto('/settings');
    await addUser(page, email, 'operator-password-1', 'operator');
    const users = page.getByRole('table', { name: 'Users who can sign in' });
    const row = users.getByRole('row').filter({ hasText: email });
    await expect(row).toHaveCount(1);
    await expect(row.getByRole('combobox', { name: `Role of ${email}` })).toHaveValue('operator');
    // The form is ready for the next user.
    await expect(page.getByRole('form', { name: 'Add user' }).getByLabel('Email')).toHaveValue('');
  });

  test('the admin creates an API token, which is shown once, works, and can be copied', async ({
    page,
    context,
  }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const name = `e2e-${Date.now().toString(36)}`;
    await page.goto('/settings');
    const form = page.getByRole('form', { name: 'Create token' });
    await form.getByLabel('Name').fill(name);
    await form.getByLabel('Role').selectOption('viewer');
    await form.getByLabel('Expires').selectOption({ label: '30 days' });
    await form.getByRole('button', { name: 'Create token' }).click();

    const secret = page.getByRole('textbox', { name: 'New API token' });
    await expect(secret).toHaveValue(/^lvg_/);
    const token = await secret.inputValue();
    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    await expect(page.getByRole('status', { name: 'Notifications' })).toContainText('Token copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);

    const row = page.getByRole('table', { name: 'API tokens' }).getByRole('row').filter({ hasText: name });
    await expect(row).toContainText('viewer');

    // The token authenticates API calls as a bearer token.
    const me = await page.request.get('http://127.0.0.1:5555/api/v1/auth/me', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(me.status()).toBe(200);

    // Shown once: after a reload only its name is left.
    await page.reload();
    await expect(row).toBeVisible();
    await expect(secret).toHaveCount(0);
    await expect(page.getByText(token)).toHaveCount(0);
  });

  test('the admin gives a token only the scopes it needs, and the token is refused the rest', async ({ page }) => {
    const name = `e2e-scoped-${Date.now().toString(36)}`;
    await page.goto('/settings');
    const form = page.getByRole('form', { name: 'Create token' });
    await form.getByLabel('Name').fill(name);
    await form.getByLabel('Role').selectOption('operator');
    const scopes = form.getByRole('group', { name: 'Scopes' });
    // An operator's token may get what an operator can do, and no more.
    await expect(scopes.getByRole('checkbox')).toHaveCount(4);
    await scopes.getByRole('checkbox', { name: 'Act on workers, queues and dead letters' }).uncheck();
    await scopes.getByRole('checkbox', { name: 'Edit and run schedules' }).uncheck();
    await form.getByRole('button', { name: 'Create token' }).click();
    const token = await page.getByRole('textbox', { name: 'New API token' }).inputValue();
    const row = page.getByRole('table', { name: 'API tokens' }).getByRole('row').filter({ hasText: name });
    await expect(row).toContainText('read, tasks');

    const bearer = { authorization: `Bearer ${token}` };
    expect((await page.request.get('http://127.0.0.1:5555/api/v1/tasks?limit=1', { headers: bearer })).status()).toBe(200);
    // Running a schedule is an operator's to do, but this token was not given the schedules scope.
    const run = await page.request.post(`http://127.0.0.1:5555/api/v1/schedules/${name}/run`, { headers: bearer });
    expect(run.status()).toBe(403);
    expect(((await run.json()) as { error: { code: string } }).error.code).toBe('SCOPE_MISSING');
  });

  test('the admin sees why the gateway is unsafe to expose, and unlocks a locked-out email', async ({ page }) => {
    // The end-to-end stack's gateway listens on 0.0.0.0 and its /metrics has no token.
    await page.goto('/settings');
    await expect(page.getByRole('region', { name: 'Exposure warnings' }).getByRole('alert')).toContainText('/metrics needs no token');

    const email = uniqueEmail('locked');
    for (let i = 0; i < 5; i++) {
      const login = await page.request.post('http://127.0.0.1:5555/api/v1/auth/login', { data: { email, password: 'not-the-password' } });
      expect(login.status()).toBe(401);
    }
    await page.reload();
    const lockouts = page.getByRole('region', { name: 'Locked-out sign-ins' });
    await lockouts.getByRole('button', { name: `Unlock ${email}` }).click();
    await expect(page.getByRole('status', { name: 'Notifications' })).toContainText('Unlocked');
    await expect(lockouts.getByRole('button', { name: `Unlock ${email}` })).toHaveCount(0);
  });

  test('deleting a user asks for confirmation in a dialog that Escape cancels', async ({ page }) => {
    const email = uniqueEmail('leaver');
    await page.goto('/settings');
    await addUser(page, email, 'leaver-password-1', 'viewer');
    const row = page
      .getByRole('table', { name: 'Users who can sign in' })
      .getByRole('row')
      .filter({ hasText: email });

    await row.getByRole('button', { name: `Delete user ${email}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this user?' });
    await expect(dialog).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(row).toHaveCount(1);

    await row.getByRole('button', { name: `Delete user ${email}` }).click();
    await dialog.getByRole('button', { name: 'Delete user' }).click();
    await expect(page.getByRole('status', { name: 'Notifications' })).toContainText('User deleted');
    await expect(row).toHaveCount(0);
  });

  test('the audit log lists the admin’s actions and keeps its filters in the URL', async ({ page }) => {
    const email = uniqueEmail('audited');
    await page.goto('/settings');
    await addUser(page, email, 'audited-password-1', 'viewer');

    await page.goto('/audit');
    const filters = page.getByRole('search', { name: 'Filter the audit log' });
    await filters.getByLabel('Action').fill('user.create');
    await filters.getByRole('button', { name: 'Filter' }).click();
    await expect(page).toHaveURL(/\/audit\?(.*&)?action=user\.create/);
    const rows = page.getByRole('table', { name: 'Audit log entries, newest first' }).locator('tbody tr');
    await expect(rows.first()).toContainText('user.create');
    await expect(rows.filter({ hasNotText: 'user.create' })).toHaveCount(0);

    // The same view from the address alone.
    await page.goto('/audit?action=auth.login');
    await expect(page.getByRole('search').getByLabel('Action')).toHaveValue('auth.login');
    await expect(rows.first()).toContainText('auth.login');
  });
});

test.describe('as a viewer', () => {
  test('a viewer sees the dashboard but none of the admin’s controls', async ({ browser }) => {
    const email = uniqueEmail('viewer');
    const password = 'viewer-password-1';
    const adminContext = await browser.newContext({
      storageState: adminStorageState,
      baseURL: 'http://127.0.0.1:3000',
    });
    const adminPage = await adminContext.newPage();
    await adminPage.goto('/settings');
    await addUser(adminPage, email, password, 'viewer');
    await adminContext.close();

    const viewerContext = await browser.newContext({
      baseURL: 'http://127.0.0.1:3000',
      storageState: { cookies: [], origins: [] },
    });
    const page = await viewerContext.newPage();
    await signIn(page, email, password);
    await expect(page.getByRole('banner').getByLabel('Signed in as')).toHaveText(`${email} viewer`);

    await page.goto('/settings');
    await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
    await expect(page.getByText('Users and API tokens are managed by an admin.')).toBeVisible();
    await expect(page.getByRole('form', { name: 'Add user' })).toHaveCount(0);
    await expect(page.getByRole('form', { name: 'Create token' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: /Delete|Revoke|Add user|Create token/ })).toHaveCount(0);
    // The gateway agrees: hiding the controls is not the protection.
    const csrf = (await viewerContext.cookies()).find((cookie) => cookie.name === 'lovage_csrf')?.value ?? '';
    const attempt = await page.request.post('/api/v1/users', {
      data: { email: uniqueEmail('sneaky'), password: 'sneaky-password', role: 'admin' },
      headers: { 'x-csrf-token': csrf },
    });
    expect(attempt.status()).toBe(403);

    // Signed in on a second browser too: "Sign out everywhere" here ends that session as well.
    const otherContext = await browser.newContext({ baseURL: 'http://127.0.0.1:3000', storageState: { cookies: [], origins: [] } });
    const other = await otherContext.newPage();
    await signIn(other, email, password);
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
    // The second browser's open page sends itself to sign-in on its next refetch, at a moment of
    // its own choosing; a navigation of ours could be interrupted by it. So: its session is refused
    // outright, and a fresh tab in that browser lands on sign-in.
    expect((await otherContext.request.get('/api/v1/auth/me')).status()).toBe(401);
    // The fresh tab opens before the old one closes: Chromium once failed to open a tab in a
    // context whose last page had just closed ("Target.createTarget: Failed to open a new tab").
    const freshTab = await otherContext.newPage();
    await other.close();
    await freshTab.goto('/settings');
    await expect(freshTab.getByRole('button', { name: 'Sign in' })).toBeVisible();
    await otherContext.close();
    await viewerContext.close();
  });
});
