import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { SiteHeader } from '@/components/site-header';
import { SkipLink } from '@/components/skip-link';
import { StatusBadge } from '@/components/ui/status-badge';
import { safeNextPath } from '@/lib/auth-routing';
import { getSession } from '@/lib/session';
import { LoginForm } from './login-form';

export const metadata: Metadata = { title: 'Sign in' };
export const dynamic = 'force-dynamic';

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<{ next?: string | string[] }>;
}) {
  const { next } = await searchParams;
  const nextPath = safeNextPath(typeof next === 'string' ? next : undefined);
  const session = await getSession();
  // Already signed in (a bookmarked /login, the back button): straight on.
  if (session.state === 'signed-in') redirect(nextPath);

  return (
    <>
      <SkipLink />
      <SiteHeader />
      <main id="main" className="mx-auto flex max-w-6xl justify-center px-4 py-12">
        <div className="w-full max-w-sm rounded-lg border border-line bg-surface-raised p-6 shadow-sm">
          <h1 className="text-2xl font-semibold">Sign in</h1>
          <p className="mt-1 mb-6 text-sm text-ink-muted">to the Lovage task monitor.</p>
          {session.state === 'unreachable' ? (
            <div className="mb-4">
              <StatusBadge tone="bad" label="Gateway health">
                Gateway: unreachable
              </StatusBadge>
              <p className="mt-1 text-xs text-ink-muted">{session.reason}</p>
            </div>
          ) : null}
          <LoginForm nextPath={nextPath} />
        </div>
      </main>
    </>
  );
}
