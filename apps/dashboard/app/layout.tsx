import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { Providers } from '@/components/providers';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Lovage', template: '%s · Lovage' },
  description: 'Live monitor for Lovage tasks, workers, queues and schedules.',
};

export const viewport: Viewport = {
  colorScheme: 'light dark',
  themeColor: [
    { media: '(prefers-color-scheme: light)', color: '#ffffff' },
    { media: '(prefers-color-scheme: dark)', color: '#18211b' },
  ],
};

// Rendered per request, every page: each response carries a Content-Security-Policy nonce of its
// own (proxy.ts), which a page rendered at build time could not have.
export const dynamic = 'force-dynamic';

// The signed-in console lives in app/(console)/layout.tsx; the sign-in page in app/login.
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen antialiased">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
