'use client';

import { formatAbsolute, formatRelative } from '@/lib/format';
import { useNow } from '@/lib/use-now';

/** "2 s ago", ticking every second, with the absolute time on hover. */
export function RelativeTime({ value, className = '' }: { value: string | null | undefined; className?: string }) {
  const now = useNow();
  if (!value) return <span className={className}>—</span>;
  return (
    <time dateTime={value} title={formatAbsolute(value)} className={className} suppressHydrationWarning>
      {now === 0 ? '' : formatRelative(value, now)}
    </time>
  );
}
