'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api-client';
import type { ExposureWarningList, LockoutList } from '@/lib/api-types';
import { queryKeys } from '@/lib/query-keys';

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : 'Something went wrong.';
}

/**
 * What makes this gateway unsafe to expose (an open /metrics, a generated admin password never
 * changed), told to admins for as long as it holds; nothing when all is well.
 */
export function ExposureWarnings() {
  const warnings = useQuery({
    queryKey: queryKeys.security.warnings(),
    queryFn: ({ signal }) => api.get<ExposureWarningList>('/api/v1/security/warnings', { signal }),
  });
  const list = warnings.data?.warnings ?? [];
  if (list.length === 0) return null;
  return (
    <section aria-label="Exposure warnings" className="space-y-2">
      {list.map((warning) => (
        <Alert key={`${warning.code}-${warning.message}`}>{warning.message}</Alert>
      ))}
    </section>
  );
}

function waitText(seconds: number): string {
  return seconds < 90 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
}

/** Emails and client addresses refused sign-in after too many failures, each with an Unlock. */
export function LockoutsSection() {
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const lockouts = useQuery({
    queryKey: queryKeys.security.lockouts(),
    queryFn: ({ signal }) => api.get<LockoutList>('/api/v1/auth/lockouts', { signal }),
  });
  const unlock = useMutation({
    mutationFn: (entry: { kind: 'email' | 'ip'; value: string }) => api.post('/api/v1/auth/unlock', entry),
    onSuccess: (_, entry) => toast({ tone: 'success', title: 'Unlocked', description: entry.value }),
    onError: (error) => toast({ tone: 'error', title: 'Could not unlock', description: errorText(error) }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.security.lockouts() }),
  });
  const list = lockouts.data?.lockouts ?? [];

  return (
    <Card title="Locked-out sign-ins">
      {lockouts.isError ? <Alert>{errorText(lockouts.error)}</Alert> : null}
      {lockouts.isSuccess && list.length === 0 ? (
        <p className="text-sm text-ink-muted">No email or address is locked out.</p>
      ) : null}
      {list.length > 0 ? (
        <ul className="divide-y divide-line text-sm">
          {list.map((entry) => (
            <li key={`${entry.kind}:${entry.value}`} className="flex items-center gap-3 py-2">
              <span className="font-mono">{entry.value}</span>
              <span className="text-ink-muted">
                {entry.kind === 'email' ? 'email' : 'address'}, for {waitText(entry.retryAfterSeconds)} more
              </span>
              <Button
                variant="secondary"
                size="sm"
                className="ml-auto"
                aria-label={`Unlock ${entry.value}`}
                disabled={unlock.isPending}
                onClick={() => unlock.mutate({ kind: entry.kind, value: entry.value })}
              >
                Unlock
              </Button>
            </li>
          ))}
        </ul>
      ) : null}
    </Card>
  );
}

/** Ends every session of the signed-in user, this one included (a lost laptop, a shared browser). */
export function SignOutEverywhere() {
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const signOut = useMutation({
    mutationFn: () => api.post('/api/v1/auth/logout-everywhere'),
    onSuccess: () => {
      queryClient.clear();
      window.location.assign('/login');
    },
    onError: (error) => toast({ tone: 'error', title: 'Could not sign out everywhere', description: errorText(error) }),
  });
  return (
    <div className="mt-4 flex flex-wrap items-center gap-3 border-t border-line pt-4 text-sm">
      <Button variant="secondary" size="sm" disabled={signOut.isPending} onClick={() => signOut.mutate()}>
        {signOut.isPending ? 'Signing out…' : 'Sign out everywhere'}
      </Button>
      <span className="text-ink-muted">Ends your sessions in every browser, this one included.</span>
    </div>
  );
}
