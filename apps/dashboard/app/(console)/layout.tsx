import type { ReactNode } from 'react';
import { CommandPalette } from '@/components/command-palette';
import { CurrentUserProvider } from '@/components/current-user';
import { SiteHeader } from '@/components/site-header';
import { SiteNav } from '@/components/site-nav';
import { SkipLink } from '@/components/skip-link';
import { Card } from '@/components/ui/card';
import { PageHeader } from '@/components/ui/page-header';
import { StatusBadge } from '@/components/ui/status-badge';
import { UserMenu } from '@/components/user-menu';
import { LiveIndicator } from '@/components/live-indicator';
import { getSession, redirectToLogin } from '@/lib/session';

// Every page here is for a signed-in user, and who that is can only be known per request.
export const dynamic = 'force-dynamic';

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const session = await getSession();
  if (session.state === 'signed-out') return redirectToLogin();

  if (session.state === 'unreachable') {
    return (
      <>
        <SkipLink />
        <SiteHeader />
        <SiteNav />
        <main id="main" className="mx-auto max-w-6xl px-4 py-8">
          <PageHeader title="Gateway unreachable">
            The dashboard shows what the gateway knows, and cannot ask it right now.
          </PageHeader>
          <Card title="Gateway">
            <StatusBadge tone="bad" label="Gateway health">
              Gateway: unreachable
            </StatusBadge>
            <p className="mt-2 text-sm text-ink-muted">{session.reason}</p>
          </Card>
        </main>
      </>
    );
  }

  return (
    <CurrentUserProvider user={session.user}>
      <SkipLink />
      <SiteHeader>
        <div className="ml-auto flex flex-wrap items-center gap-4">
          <CommandPalette />
          <LiveIndicator />
          <UserMenu />
        </div>
      </SiteHeader>
      <SiteNav />
      <main id="main" className="mx-auto max-w-6xl px-4 py-8">
        {children}
      </main>
    </CurrentUserProvider>
  );
}
