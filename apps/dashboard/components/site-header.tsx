import Link from 'next/link';
import type { ReactNode } from 'react';

/** The page's banner: the product's name, and whatever the page puts on the right (the user menu). */
export function SiteHeader({ children }: { children?: ReactNode }) {
  return (
    <header className="bg-surface-raised">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-3 px-4 py-3">
        <Link href="/" className="text-xl font-bold text-accent">
          Lovage
        </Link>
        <span className="text-sm text-ink-muted">task monitor</span>
        {children}
      </div>
    </header>
  );
}
