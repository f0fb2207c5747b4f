// The gateway's REST shapes. The types come from the gateway's own zod schemas
// (@lovage/gateway/api-types, type-only, so nothing server-side is bundled): when the API
// changes, the dashboard stops compiling instead of drifting. The few runtime values the
// browser needs (the role list, the parsers at trust boundaries) are restated here and
// checked against those types.
import type {
  ApiToken,
  AuditEntry as GatewayAuditEntry,
  AuditPage as GatewayAuditPage,
  CreatedToken,
  CreateTokenBody,
  CreateUserBody,
  ErrorResponse,
  ExposureWarningList,
  LockoutList,
  MeResponse,
  Role as GatewayRole,
  TokenScope as GatewayTokenScope,
  UpdateUserBody,
  User as GatewayUser,
  UserDetail,
} from '@lovage/gateway/api-types';
import './client/zod-setup';
import { z } from 'zod';

export const roles = ['viewer', 'operator', 'admin'] as const satisfies readonly GatewayRole[];
export type Role = GatewayRole;

/** What each role may do, lowest first: a role includes everything below it. */
const roleRank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function roleAllows(actual: Role, required: Role): boolean {
  return roleRank[actual] >= roleRank[required];
}

/** What a token may do, narrowest first (the gateway's TokenScope), and which a role may give. */
export const tokenScopes = ['read', 'tasks', 'workers', 'schedules', 'admin'] as const satisfies readonly GatewayTokenScope[];
export type TokenScope = GatewayTokenScope;
export const scopesForRole: Readonly<Record<Role, readonly TokenScope[]>> = {
  viewer: ['read'],
  operator: ['read', 'tasks', 'workers', 'schedules'],
  admin: tokenScopes,
};
export const scopeLabels: Readonly<Record<TokenScope, string>> = {
  read: 'Read (every page, every GET of the API, the live feed)',
  tasks: 'Act on tasks (retry, revoke, send)',
  workers: 'Act on workers, queues and dead letters',
  schedules: 'Edit and run schedules',
  admin: 'Users, tokens and settings',
};

export type User = GatewayUser;
export type ManagedUser = UserDetail;
export type ApiTokenSummary = ApiToken;
export type CreatedApiToken = CreatedToken;
export type AuditEntry = GatewayAuditEntry;
export type AuditPage = GatewayAuditPage;
export type { CreateTokenBody, CreateUserBody, ExposureWarningList, LockoutList, UpdateUserBody };

export const userSchema = z.object({ id: z.string(), email: z.string(), role: z.enum(roles) });
export const meResponseSchema = z.object({ user: userSchema });

/** Every error the gateway sends: `{ error: { code, message, field? } }`. */
export const errorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }),
});

// Compile-time checks that the local parsers accept exactly what the gateway sends.
type Assert<T extends true> = T;
type Parses<Local, Remote> = Remote extends Local ? true : false;
export type ParserChecks = [
  Assert<Parses<z.infer<typeof meResponseSchema>, MeResponse>>,
  Assert<Parses<z.infer<typeof errorBodySchema>, ErrorResponse>>,
];
