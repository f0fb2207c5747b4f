import Link from 'next/link';
import type { ReactNode } from 'react';

/**
 * The top of a detail page: a way back to its list ("Tasks / task"), the item's name as the
 * page's heading, a line under it, and the actions an operator may take.
 */
export function DetailHeader({
  back,
  kind,
  title,
  subtitle,
  actions,
}: {
  back: { href: string; label: string };
  kind: string;
  title: ReactNode;
  subtitle?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <header className="flex flex-wrap items-start gap-4">
      <div className="min-w-0 flex-1">
        <p className="text-sm text-ink-muted">
          <Link href={back.href} className="text-accent underline underline-offset-2">
            {back.label}
          </Link>{' '}
          / {kind}
        </p>
        <h1 className="mt-1 flex flex-wrap items-center gap-3 text-2xl font-semibold break-all">{title}</h1>
        {subtitle}
      </div>
      {actions}
    </header>
  );
}

/** One term and its value in a detail page's `<dl>`. */
export function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium text-ink-muted uppercase">{term}</dt>
      <dd className="mt-0.5 break-words tabular-nums">{children}</dd>
    </div>
  );
}
