'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useCurrentUser } from '@/components/current-user';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Field } from '@/components/ui/field';
import { Input, Select } from '@/components/ui/input';
import { useToast } from '@/components/ui/toast';
import { api, ApiError } from '@/lib/api-client';
import { roles, type CreateUserBody, type ManagedUser, type Role } from '@/lib/api-types';
import { formText } from '@/lib/form-text';
import { queryKeys } from '@/lib/query-keys';
import { formatDateTime } from '@/lib/format';

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : 'Something went wrong.';
}

function AddUserForm() {
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const [formKey, setFormKey] = useState(0);
  const add = useMutation({
    mutationFn: (input: CreateUserBody) => api.post<{ user: ManagedUser }>('/api/v1/users', input),
    onSuccess: async ({ user }) => {
      toast({ tone: 'success', title: 'User added', description: `${user.email} (${user.role})` });
      setFormKey((key) => key + 1);
      await queryClient.invalidateQueries({ queryKey: queryKeys.users.all() });
    },
  });
  const error = add.error instanceof ApiError ? add.error : null;
  const fieldError = (field: string) => (error?.field === field ? error.message : undefined);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    add.mutate({
      email: formText(form, 'email').trim(),
      password: formText(form, 'password'),
      role: formText(form, 'role') as Role,
    });
  }

  return (
    <form
      key={formKey}
      onSubmit={onSubmit}
      aria-label="Add user"
      className="mt-4 grid gap-3 border-t border-line pt-4 sm:grid-cols-[2fr_2fr_1fr_auto] sm:items-start"
    >
      <Field label="Email" error={fieldError('email')}>
        {(props) => <Input {...props} name="email" type="email" autoComplete="off" required />}
      </Field>
      <Field label="Password" error={fieldError('password')}>
        {(props) => (
          <Input
            {...props}
            name="password"
            type="password"
            autoComplete="new-password"
            required
            minLength={8}
          />
        )}
      </Field>
      <Field label="Role" error={fieldError('role')}>
        {(props) => (
          <Select {...props} name="role" defaultValue="viewer">
            {roles.map((role) => (
              <option key={role} value={role}>
                {role}
              </option>
            ))}
          </Select>
        )}
      </Field>
      <Button type="submit" className="sm:mt-6" disabled={add.isPending}>
        {add.isPending ? 'Adding…' : 'Add user'}
      </Button>
      {add.error && !error?.field ? (
        <div className="sm:col-span-4">
          <Alert>{errorText(add.error)}</Alert>
        </div>
      ) : null}
    </form>
  );
}

function UserRow({ user, isSelf, onDelete }: { user: ManagedUser; isSelf: boolean; onDelete: () => void }) {
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const changeRole = useMutation({
    mutationFn: (role: Role) =>
      api.patch<{ user: ManagedUser }>(`/api/v1/users/${encodeURIComponent(user.id)}`, { role }),
    onSuccess: ({ user: updated }) =>
      toast({
        tone: 'success',
        title: 'Role changed',
        description: `${updated.email} is now ${updated.role}`,
      }),
    onError: (error) =>
      toast({ tone: 'error', title: 'Could not change the role', description: errorText(error) }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.users.all() }),
  });
  return (
    <tr className="border-t border-line">
      <td className="py-2 pr-4">
        {user.email}
        {isSelf ? <span className="ml-2 text-xs text-ink-muted">(you)</span> : null}
      </td>
      <td className="py-2 pr-4">
        <Select
          aria-label={`Role of ${user.email}`}
          value={user.role}
          disabled={isSelf || changeRole.isPending}
          onChange={(event) => changeRole.mutate(event.target.value as Role)}
          className="w-32"
        >
          {roles.map((role) => (
            <option key={role} value={role}>
              {role}
            </option>
          ))}
        </Select>
      </td>
      <td className="py-2 pr-4 text-ink-muted">{formatDateTime(user.createdAt)}</td>
      <td className="py-2 text-right">
        {isSelf ? null : (
          <Button variant="danger" size="sm" onClick={onDelete} aria-label={`Delete user ${user.email}`}>
            Delete
          </Button>
        )}
      </td>
    </tr>
  );
}

export function UsersSection() {
  const me = useCurrentUser();
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const users = useQuery({
    queryKey: queryKeys.users.list(),
    queryFn: async ({ signal }) =>
      (await api.get<{ users: ManagedUser[] }>('/api/v1/users', { signal })).users,
  });
  const [deleting, setDeleting] = useState<ManagedUser | null>(null);
  const remove = useMutation({
    mutationFn: (user: ManagedUser) => api.delete(`/api/v1/users/${encodeURIComponent(user.id)}`),
    onSuccess: (_, user) => {
      toast({ tone: 'success', title: 'User deleted', description: user.email });
      setDeleting(null);
    },
    onError: (error) =>
      toast({ tone: 'error', title: 'Could not delete the user', description: errorText(error) }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.users.all() }),
  });

  return (
    <Card title="Users">
      {users.isPending ? <p className="text-sm text-ink-muted">Loading users…</p> : null}
      {users.isError ? <Alert>{errorText(users.error)}</Alert> : null}
      {users.data ? (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Users who can sign in</caption>
            <thead className="text-xs text-ink-muted uppercase">
              <tr>
                <th scope="col" className="py-2 pr-4 font-medium">
                  Email
                </th>
                <th scope="col" className="py-2 pr-4 font-medium">
                  Role
                </th>
                <th scope="col" className="py-2 pr-4 font-medium">
                  Added
                </th>
                <th scope="col" className="py-2 font-medium">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.data.map((user) => (
                <UserRow
                  key={user.id}
                  user={user}
                  isSelf={user.id === me.id}
                  onDelete={() => setDeleting(user)}
                />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <AddUserForm />
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this user?"
        confirmLabel="Delete user"
        busy={remove.isPending}
        onCancel={() => setDeleting(null)}
        onConfirm={() => deleting && remove.mutate(deleting)}
      >
        {deleting?.email} will be signed out and can no longer sign in. Their API tokens stop working.
      </ConfirmDialog>
    </Card>
  );
}
