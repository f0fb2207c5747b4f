import type { Metadata } from 'next';
import { RequireRole } from '@/components/current-user';
import { Card } from '@/components/ui/card';
import { PageHeader } from '@/components/ui/page-header';
import { requireUser } from '@/lib/session';
import { ExposureWarnings, LockoutsSection, SignOutEverywhere } from './security-section';
import { TokensSection } from './tokens-section';
import { UsersSection } from './users-section';

export const metadata: Metadata = { title: 'Settings' };

export default async function SettingsPage() {
  const user = await requireUser();
  if (!user) return null;
  return (
    <>
      <PageHeader title="Settings">Your account, the monitor&apos;s users and API tokens.</PageHeader>
      <div className="space-y-6">
        <RequireRole role="admin">
          <ExposureWarnings />
        </RequireRole>
        <Card title="Your account">
          <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="text-ink-muted">Email</dt>
            <dd>{user.email}</dd>
            <dt className="text-ink-muted">Role</dt>
            <dd>{user.role}</dd>
          </dl>
          <SignOutEverywhere />
        </Card>
        <RequireRole
          role="admin"
          fallback={<p className="text-sm text-ink-muted">Users and API tokens are managed by an admin.</p>}
        >
          <UsersSection />
          <TokensSection />
          <LockoutsSection />
        </RequireRole>
      </div>
    </>
  );
}
