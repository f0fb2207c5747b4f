'use client';

// The signed-in user on the client: seeded by the console layout (which asked the gateway on the
// server), kept in the react-query cache under auth.me so a refetch updates every reader.
import { useQuery } from '@tanstack/react-query';
import { createContext, useContext, type ReactNode } from 'react';
import { api } from '@/lib/api-client';
import { roleAllows, type Role, type User } from '@/lib/api-types';
import { queryKeys } from '@/lib/query-keys';

const InitialUserContext = createContext<User | null>(null);

export function CurrentUserProvider({ user, children }: { user: User; children: ReactNode }) {
  return <InitialUserContext.Provider value={user}>{children}</InitialUserContext.Provider>;
}

/** The signed-in user. Only for components under the console layout. */
export function useCurrentUser(): User {
  const initial = useContext(InitialUserContext);
  if (!initial) throw new Error('useCurrentUser() needs <CurrentUserProvider> (the console layout)');
  const { data } = useQuery({
    queryKey: queryKeys.auth.me(),
    queryFn: async ({ signal }) => (await api.get<{ user: User }>('/api/v1/auth/me', { signal })).user,
    initialData: initial,
    staleTime: 60_000,
  });
  return data;
}

export function useHasRole(role: Role): boolean {
  return roleAllows(useCurrentUser().role, role);
}

/**
 * Renders its children only for users whose role includes `role`: actions a role may not take
 * are not shown at all (the gateway refuses them anyway; this keeps the page honest).
 */
export function RequireRole({
  role,
  children,
  fallback = null,
}: {
  role: Role;
  children: ReactNode;
  fallback?: ReactNode;
}) {
  return useHasRole(role) ? children : fallback;
}
