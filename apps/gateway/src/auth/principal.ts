// Who is making a request: a signed-in user (session cookie) or an API token.
import type { Role } from '../api/schemas.js';
import type { TokenScope } from './scopes.js';

export type Principal =
  | { kind: 'session'; userId: string; email: string; role: Role; sessionId: string }
  | { kind: 'token'; tokenId: string; name: string; role: Role; scopes: readonly TokenScope[]; userId: string | null; userEmail: string | null };

export type TokenPrincipal = Extract<Principal, { kind: 'token' }>;

const rank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function roleAllows(role: Role, required: Role): boolean {
  return rank[role] >= rank[required];
}

/** The name the audit log shows for a principal. */
export function actorName(principal: Principal | null): string {
  if (!principal) return 'anonymous';
  return principal.kind === 'session' ? principal.email : `token:${principal.name}`;
}

export function actorId(principal: Principal | null): string | null {
  if (!principal) return null;
  return principal.kind === 'session' ? principal.userId : principal.tokenId;
}
