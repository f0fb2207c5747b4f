'use client';

import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { ApiError } from '@/lib/api-error';
import { loginPath } from '@/lib/auth-routing';
import { ToastProvider } from './ui/toast';

/** A session that ends while the page is open (expired, signed out elsewhere): back to sign-in. */
function signInAgainOn401(error: unknown) {
  if (error instanceof ApiError && error.isUnauthenticated && window.location.pathname !== '/login') {
    window.location.assign(loginPath(`${window.location.pathname}${window.location.search}`));
  }
}

function makeQueryClient(): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({ onError: signInAgainOn401 }),
    mutationCache: new MutationCache({ onError: signInAgainOn401 }),
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        // 4xx answers will not change by asking again; network trouble might.
        retry: (failures, error) =>
          failures < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
        refetchOnWindowFocus: true,
      },
    },
  });
}

export function Providers({ children }: { children: ReactNode }) {
  // One client per browser tab, created once (useState, not module scope, so server renders never share one).
  const [client] = useState(makeQueryClient);
  return (
    <QueryClientProvider client={client}>
      <ToastProvider>{children}</ToastProvider>
    </QueryClientProvider>
  );
}
