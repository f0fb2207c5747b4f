'use client';

import { formatAbsolute, formatRelative } from '@/lib/format';
import { memo } from 'react';
import { useClock } from '@/lib/use-clock';

/** "2 s ago", following the page's clock, with the absolute time on hover. */
export const RelativeTime = memo(function RelativeTime({ value, className = '' }: { value: string | null | undefined; className?: string }) {
  // Re-renders only when the words change ("5 s ago" each second, "5 min ago" each minute).
  const text = useClock((now) => (value ? formatRelative(value, now) : ''), '');
  if (!value) return <span className={className}>—</span>;
  return (
    <time dateTime={value} title={formatAbsolute(value)} className={className} suppressHydrationWarning>
      {text}
    </time>
  );
});
