'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError } from '@/lib/api-client';
import { closeSocket } from '@/lib/socket';
import { useHydrated } from '@/lib/use-hydrated';
import { useCurrentUser } from './current-user';
import { Button } from './ui/button';
import { useToast } from './ui/toast';

/** The header's corner: who is signed in, with which role, and the way out. */
export function UserMenu() {
  const user = useCurrentUser();
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const [signingOut, setSigningOut] = useState(false);
  const hydrated = useHydrated();

  async function signOut() {
    setSigningOut(true);
    try {
      await api.post('/api/v1/auth/logout');
    } catch (error) {
      // An already-ended session is signed out all the same.
      if (!(error instanceof ApiError && error.isUnauthenticated)) {
        setSigningOut(false);
        toast({
          tone: 'error',
          title: 'Could not sign out',
          description: error instanceof Error ? error.message : undefined,
        });
        return;
      }
    }
    queryClient.clear();
    closeSocket();
    // A full page load drops everything this tab knew while signed in (router cache included).
    window.location.assign('/login');
  }

  return (
    <div className="ml-auto flex items-center gap-3 text-sm">
      <p aria-label="Signed in as" className="text-right">
        <span className="font-medium">{user.email}</span>{' '}
        <span className="rounded-full border border-line px-2 py-0.5 text-xs text-ink-muted">
          {user.role}
        </span>
      </p>
      <Button variant="secondary" size="sm" onClick={() => void signOut()} disabled={signingOut || !hydrated}>
        {signingOut ? 'Signing out…' : 'Sign out'}
      </Button>
    </div>
  );
}
