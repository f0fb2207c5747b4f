'use client';

import { useState, type FormEvent } from 'react';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { api, ApiError } from '@/lib/api-client';
import type { User } from '@/lib/api-types';
import { formText } from '@/lib/form-text';
import { useHydrated } from '@/lib/use-hydrated';

function describe(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Sign-in failed. Try again.';
  if (error.code === 'INVALID_CREDENTIALS') return 'Wrong email or password.';
  if (error.status === 429) {
    const wait = error.retryAfter ? ` in ${Math.ceil(error.retryAfter)} seconds` : ' later';
    return `Too many sign-in attempts. Try again${wait}.`;
  }
  return error.message;
}

export function LoginForm({ nextPath }: { nextPath: string }) {
  const [error, setError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const hydrated = useHydrated();

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setError(null);
    setSubmitting(true);
    try {
      await api.post<{ user: User }>('/api/v1/auth/login', {
        email: formText(form, 'email').trim(),
        password: formText(form, 'password'),
      });
      // A full page load, not router.replace(): the client router may hold prefetched answers from
      // before the session existed (redirects to /login), and every server component must re-render
      // with the new cookie.
      window.location.assign(nextPath);
    } catch (caught) {
      setError(describe(caught));
      setSubmitting(false);
    }
  }

  return (
    <form method="post" onSubmit={(event) => void onSubmit(event)} className="space-y-4" aria-busy={submitting}>
      <Alert>{error}</Alert>
      <Field label="Email">
        {(props) => (
          <Input
            {...props}
            name="email"
            type="email"
            autoComplete="username"
            required
            autoFocus
            disabled={submitting}
          />
        )}
      </Field>
      <Field label="Password">
        {(props) => (
          <Input
            {...props}
            name="password"
            type="password"
            autoComplete="current-password"
            required
            disabled={submitting}
          />
        )}
      </Field>
      <Button type="submit" className="w-full" disabled={submitting || !hydrated}>
        {submitting ? 'Signing in…' : 'Sign in'}
      </Button>
    </form>
  );
}
