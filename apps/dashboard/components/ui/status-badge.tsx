import type { ReactNode } from 'react';

export type StatusTone = 'ok' | 'bad';

/** A live-region badge: screen readers announce it as a status, sighted users see a coloured dot. */
export function StatusBadge({
  tone,
  label,
  children,
}: {
  tone: StatusTone;
  label: string;
  children: ReactNode;
}) {
  const colour = tone === 'ok' ? 'text-ok' : 'text-bad';
  return (
    <p role="status" aria-label={label} className={`inline-flex items-center gap-2 font-medium ${colour}`}>
      <span aria-hidden="true" className="inline-block size-2.5 rounded-full bg-current" />
      {children}
    </p>
  );
}
