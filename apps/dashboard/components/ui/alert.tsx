import type { ReactNode } from 'react';

/** An error announced the moment it appears (role="alert"). Renders nothing without children. */
export function Alert({ children }: { children?: ReactNode }) {
  if (!children) return null;
  return (
    <div role="alert" className="rounded-md border border-bad/50 bg-bad/10 px-3 py-2 text-sm text-bad">
      {children}
    </div>
  );
}
