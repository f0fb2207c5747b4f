import type { ComponentProps } from 'react';

const fieldClasses =
  'block w-full rounded-md border border-line bg-surface px-3 py-2 text-sm text-ink placeholder:text-ink-muted aria-[invalid=true]:border-bad disabled:opacity-60';

export function Input({ className = '', ...props }: ComponentProps<'input'>) {
  return <input className={`${fieldClasses} ${className}`} {...props} />;
}

export function Select({ className = '', ...props }: ComponentProps<'select'>) {
  return <select className={`${fieldClasses} ${className}`} {...props} />;
}
