import type { ReactNode } from 'react';

/** A titled panel; `wide` spans both columns of a two-column grid. */
export function Card({ title, wide = false, children }: { title: string; wide?: boolean; children: ReactNode }) {
  return (
    <section aria-label={title} className={`min-w-0 rounded-lg border border-line bg-surface-raised p-4 shadow-sm ${wide ? 'lg:col-span-2' : ''}`}>
      <h2 className="mb-2 text-sm font-semibold tracking-wide text-ink-muted uppercase">{title}</h2>
      {children}
    </section>
  );
}
