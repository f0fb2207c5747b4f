// Every react-query key in one place, so invalidation after a mutation or a live event
// names exactly what it means to refresh.
export const queryKeys = {
  auth: {
    me: () => ['auth', 'me'] as const,
  },
  users: {
    all: () => ['users'] as const,
    list: () => ['users', 'list'] as const,
  },
  tokens: {
    all: () => ['tokens'] as const,
    list: () => ['tokens', 'list'] as const,
  },
  audit: {
    all: () => ['audit'] as const,
    list: (filters: { actor?: string; action?: string; cursor?: string; limit?: number }) =>
      ['audit', 'list', filters] as const,
  },
  health: () => ['health'] as const,
} as const;
