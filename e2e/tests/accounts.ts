// Who the end-to-end tests sign in as. The demo's gateway creates this admin at its first start
// (playwright.config.ts passes LOVAGE_ADMIN_EMAIL / LOVAGE_ADMIN_PASSWORD to it).
export const admin = { email: 'admin@lovage.test', password: 'e2e-admin-password-1' } as const;

/** The browser state of a signed-in admin, written once by auth.setup.ts. */
export const adminStorageState = new URL('../test-results/.auth/admin.json', import.meta.url).pathname;

/** An email no earlier run used: the demo's database may outlive a run when DATABASE_URL is set. */
export function uniqueEmail(label: string): string {
  return `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}@lovage.test`;
}
