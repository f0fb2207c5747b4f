'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState, type FormEvent } from 'react';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Field } from '@/components/ui/field';
import { Input, Select } from '@/components/ui/input';
import { useToast } from '@/components/ui/toast';
import { api, ApiError } from '@/lib/api-client';
import {
  roles,
  scopeLabels,
  scopesForRole,
  type ApiTokenSummary,
  type CreatedApiToken,
  type CreateTokenBody,
  type Role,
  type TokenScope,
} from '@/lib/api-types';
import { formText } from '@/lib/form-text';
import { queryKeys } from '@/lib/query-keys';
import { formatDateTime } from '@/lib/format';

const lifetimes = [
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '1 year' },
  { value: 'never', label: 'Never' },
] as const;

const dayMs = 24 * 60 * 60 * 1000;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : 'Something went wrong.';
}

/** The new token's secret, shown this once: the gateway keeps only its hash. */
function NewTokenNotice({ token, onDone }: { token: CreatedApiToken; onDone: () => void }) {
  const { toast } = useToast();
  const inputRef = useRef<HTMLInputElement>(null);
  const headingId = useId();

  async function copy() {
    try {
      await navigator.clipboard.writeText(token.token);
      toast({ tone: 'success', title: 'Token copied' });
    } catch {
      inputRef.current?.select();
      toast({
        tone: 'info',
        title: 'Copy it by hand',
        description: 'The token is selected: press Ctrl+C (⌘C).',
      });
    }
  }

  return (
    <section
      aria-labelledby={headingId}
      className="mt-4 rounded-md border-2 border-accent/60 bg-accent/10 p-4"
    >
      <h3 id={headingId} className="font-semibold">
        Token &ldquo;{token.name}&rdquo; created
      </h3>
      <p className="mt-1 text-sm">Copy it now: it will not be shown again.</p>
      <div className="mt-3 flex gap-2">
        <Input
          ref={inputRef}
          readOnly
          aria-label="New API token"
          value={token.token}
          onFocus={(event) => event.currentTarget.select()}
          className="font-mono"
        />
        <Button variant="secondary" onClick={() => void copy()}>
          Copy
        </Button>
        <Button variant="ghost" onClick={onDone}>
          Done
        </Button>
      </div>
    </section>
  );
}

/**
 * What the new token may do: the scopes its role allows, all ticked at first. A token for a
 * Prometheus scraper or a CI job keeps only what it needs (read, or tasks).
 */
function ScopeChoice({ role, error }: { role: Role; error: string | undefined }) {
  const errorId = useId();
  return (
    <fieldset className="sm:col-span-4" aria-describedby={error ? errorId : undefined}>
      <legend className="text-sm font-medium">Scopes</legend>
      <div className="mt-1 flex flex-wrap gap-x-5 gap-y-1 text-sm">
        {scopesForRole[role].map((scope) => (
          <label key={`${role}-${scope}`} className="inline-flex items-center gap-2">
            <input type="checkbox" name="scopes" value={scope} defaultChecked />
            {scopeLabels[scope]}
          </label>
        ))}
      </div>
      {error ? (
        <p id={errorId} className="mt-1 text-sm text-bad">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

function CreateTokenForm({ onCreated }: { onCreated: (token: CreatedApiToken) => void }) {
  const queryClient = useQueryClient();
  const [formKey, setFormKey] = useState(0);
  const [role, setRole] = useState<Role>('viewer');
  const create = useMutation({
    mutationFn: (input: CreateTokenBody) => api.post<CreatedApiToken>('/api/v1/tokens', input),
    onSuccess: async (token) => {
      onCreated(token);
      setFormKey((key) => key + 1);
      setRole('viewer');
      await queryClient.invalidateQueries({ queryKey: queryKeys.tokens.all() });
    },
  });
  const error = create.error instanceof ApiError ? create.error : null;
  const fieldError = (field: string) => (error?.field === field ? error.message : undefined);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const lifetime = formText(form, 'expires');
    create.mutate({
      name: formText(form, 'name').trim(),
      role: formText(form, 'role') as Role,
      scopes: form.getAll('scopes').map(String) as TokenScope[],
      ...(lifetime === 'never'
        ? {}
        : { expiresAt: new Date(Date.now() + Number(lifetime) * dayMs).toISOString() }),
    });
  }

  return (
    <form
      key={formKey}
      onSubmit={onSubmit}
      aria-label="Create token"
      className="mt-4 grid gap-3 border-t border-line pt-4 sm:grid-cols-[2fr_1fr_1fr_auto] sm:items-start"
    >
      <Field label="Name" error={fieldError('name')} hint="What uses it, e.g. “ci-deploy”.">
        {(props) => <Input {...props} name="name" required maxLength={100} autoComplete="off" />}
      </Field>
      <Field label="Role" error={fieldError('role')}>
        {(props) => (
          <Select {...props} name="role" value={role} onChange={(event) => setRole(event.target.value as Role)}>
            {roles.map((role) => (
              <option key={role} value={role}>
                {role}
              </option>
            ))}
          </Select>
        )}
      </Field>
      <Field label="Expires" error={fieldError('expiresAt')}>
        {(props) => (
          <Select {...props} name="expires" defaultValue="90">
            {lifetimes.map(({ value, label }) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </Select>
        )}
      </Field>
      <Button type="submit" className="sm:mt-6" disabled={create.isPending}>
        {create.isPending ? 'Creating…' : 'Create token'}
      </Button>
      <ScopeChoice role={role} error={fieldError('scopes')} />
      {create.error && !error?.field ? (
        <div className="sm:col-span-4">
          <Alert>{errorText(create.error)}</Alert>
        </div>
      ) : null}
    </form>
  );
}

export function TokensSection() {
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const [created, setCreated] = useState<CreatedApiToken | null>(null);
  const [revoking, setRevoking] = useState<ApiTokenSummary | null>(null);
  const tokens = useQuery({
    queryKey: queryKeys.tokens.list(),
    queryFn: async ({ signal }) =>
      (await api.get<{ tokens: ApiTokenSummary[] }>('/api/v1/tokens', { signal })).tokens,
  });
  const revoke = useMutation({
    mutationFn: (token: ApiTokenSummary) => api.delete(`/api/v1/tokens/${encodeURIComponent(token.id)}`),
    onSuccess: (_, token) => {
      toast({ tone: 'success', title: 'Token revoked', description: token.name });
      setRevoking(null);
    },
    onError: (error) =>
      toast({ tone: 'error', title: 'Could not revoke the token', description: errorText(error) }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.tokens.all() }),
  });
  const active = tokens.data;

  return (
    <Card title="API tokens">
      <p className="mb-3 text-sm text-ink-muted">
        For scripts and the API: send <code>Authorization: Bearer &lt;token&gt;</code>.
      </p>
      {tokens.isPending ? <p className="text-sm text-ink-muted">Loading tokens…</p> : null}
      {tokens.isError ? <Alert>{errorText(tokens.error)}</Alert> : null}
      {active && active.length === 0 ? <p className="text-sm text-ink-muted">No API tokens yet.</p> : null}
      {active && active.length > 0 ? (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">API tokens</caption>
            <thead className="text-xs text-ink-muted uppercase">
              <tr>
                <th scope="col" className="py-2 pr-4 font-medium">
                  Name
                </th>
                <th scope="col" className="py-2 pr-4 font-medium">
                  Role
                </th>
                <th scope="col" className="py-2 pr-4 font-medium">
                  Scopes
                </th>
                <th scope="col" className="py-2 pr-4 font-medium">
                  Created
                </th>
                <th scope="col" className="py-2 pr-4 font-medium">
                  Expires
                </th>
                <th scope="col" className="py-2 pr-4 font-medium">
                  Last used
                </th>
                <th scope="col" className="py-2 font-medium">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {active.map((token) => (
                <tr key={token.id} className="border-t border-line">
                  <td className="py-2 pr-4">{token.name}</td>
                  <td className="py-2 pr-4">{token.role}</td>
                  <td className="py-2 pr-4">{token.scopes.join(', ')}</td>
                  <td className="py-2 pr-4 text-ink-muted">{formatDateTime(token.createdAt)}</td>
                  <td className="py-2 pr-4 text-ink-muted">
                    {token.expiresAt ? formatDateTime(token.expiresAt) : 'Never'}
                  </td>
                  <td className="py-2 pr-4 text-ink-muted">{formatDateTime(token.lastUsedAt)}</td>
                  <td className="py-2 text-right">
                    <Button
                      variant="danger"
                      size="sm"
                      onClick={() => setRevoking(token)}
                      aria-label={`Revoke token ${token.name}`}
                    >
                      Revoke
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {created ? <NewTokenNotice token={created} onDone={() => setCreated(null)} /> : null}
      <CreateTokenForm onCreated={setCreated} />
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this token?"
        confirmLabel="Revoke token"
        busy={revoke.isPending}
        onCancel={() => setRevoking(null)}
        onConfirm={() => revoking && revoke.mutate(revoking)}
      >
        Anything using &ldquo;{revoking?.name}&rdquo; loses access at once.
      </ConfirmDialog>
    </Card>
  );
}
