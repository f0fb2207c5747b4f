// The REST API's request and response shapes, as zod schemas and their inferred
// types. The dashboard imports this module (as `@lovage/gateway/api-types`), so it
// must stay free of anything server-only: it imports zod and nothing else.
import { z } from 'zod';

// ---------- shared ----------

export const roles = ['viewer', 'operator', 'admin'] as const;
export const RoleSchema = z.enum(roles).meta({ id: 'Role', description: 'viewer reads; operator also acts; admin also manages users, tokens and settings' });
export type Role = z.infer<typeof RoleSchema>;

export const ErrorResponseSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Stable machine-readable code, e.g. VALIDATION_FAILED' }),
      message: z.string(),
      field: z.string().optional().meta({ description: 'The first invalid field, e.g. "limit" or "email"' }),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'ErrorResponse' });
export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;

export const IdParamsSchema = z.object({ id: z.uuid({ message: 'must be a UUID' }) });
export type IdParams = z.infer<typeof IdParamsSchema>;

export const PAGE_LIMIT_MAX = 200;
export const PageQuerySchema = z.object({
  cursor: z.string().min(1).max(200).optional().meta({ description: 'Opaque cursor from a previous page\'s nextCursor' }),
  limit: z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).default(50),
});
export type PageQuery = z.infer<typeof PageQuerySchema>;

const timestamp = z.iso.datetime({ offset: true });

const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ message: 'must be an email address' }));
const password = z.string().min(8, 'must be at least 8 characters').max(200, 'must be at most 200 characters');

// ---------- auth ----------

export const UserSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    role: RoleSchema,
  })
  .meta({ id: 'User' });
export type User = z.infer<typeof UserSchema>;

export const LoginBodySchema = z.object({
  email,
  password: z.string().min(1, 'is required').max(200, 'must be at most 200 characters'),
});
export type LoginBody = z.infer<typeof LoginBodySchema>;

export const UserResponseSchema = z.object({ user: UserSchema });
export type UserResponse = z.infer<typeof UserResponseSchema>;

export const MeResponseSchema = z.object({
  user: UserSchema,
  /** Present when the request was authenticated by an API token rather than a session. */
  token: z.object({ id: z.string(), name: z.string() }).optional(),
});
export type MeResponse = z.infer<typeof MeResponseSchema>;

// ---------- users ----------

export const UserDetailSchema = UserSchema.extend({
  createdAt: timestamp,
  updatedAt: timestamp,
}).meta({ id: 'UserDetail' });
export type UserDetail = z.infer<typeof UserDetailSchema>;

export const UserListSchema = z.object({ users: z.array(UserDetailSchema), nextCursor: z.string().nullable() });
export type UserList = z.infer<typeof UserListSchema>;

export const CreateUserBodySchema = z.object({ email, password, role: RoleSchema.default('viewer') });
export type CreateUserBody = z.input<typeof CreateUserBodySchema>;

export const UpdateUserBodySchema = z
  .object({
    role: RoleSchema.optional(),
    password: password.optional(),
    /** Required when people change their own password. */
    currentPassword: z.string().min(1).max(200).optional(),
  })
  .refine((value) => value.role !== undefined || value.password !== undefined, {
    message: 'give role or password',
    path: ['role'],
  });
export type UpdateUserBody = z.input<typeof UpdateUserBodySchema>;

export const UserDetailResponseSchema = z.object({ user: UserDetailSchema });

// ---------- exposure ----------

export const ExposureWarningSchema = z
  .object({ code: z.enum(['METRICS_OPEN', 'GENERATED_ADMIN_PASSWORD']), message: z.string() })
  .meta({ id: 'ExposureWarning' });
export type ExposureWarning = z.infer<typeof ExposureWarningSchema>;
export const ExposureWarningListSchema = z.object({ warnings: z.array(ExposureWarningSchema) });
export type ExposureWarningList = z.infer<typeof ExposureWarningListSchema>;

// ---------- sign-in lockouts ----------

export const LockoutSchema = z
  .object({
    kind: z.enum(['email', 'ip']),
    value: z.string().meta({ description: 'The email address or client address' }),
    retryAfterSeconds: z.number().int(),
  })
  .meta({ id: 'Lockout' });
export const LockoutListSchema = z.object({ lockouts: z.array(LockoutSchema) });
export type LockoutList = z.infer<typeof LockoutListSchema>;

export const UnlockBodySchema = z.object({
  kind: z.enum(['email', 'ip']),
  value: z.string().trim().toLowerCase().min(1, 'is required').max(320, 'must be at most 320 characters'),
});
export type UnlockBody = z.input<typeof UnlockBodySchema>;

// ---------- API tokens ----------

export const TOKEN_SCOPES = ['read', 'tasks', 'workers', 'schedules', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** The scopes a token of each role may be given: never more than the role itself can do. */
export const SCOPES_FOR_ROLE: Readonly<Record<Role, readonly TokenScope[]>> = {
  viewer: ['read'],
  operator: ['read', 'tasks', 'workers', 'schedules'],
  admin: TOKEN_SCOPES,
};

export const TokenScopeSchema = z.enum(TOKEN_SCOPES).meta({
  id: 'TokenScope',
  description: 'read: every GET and the live feed; tasks: act on tasks; workers: act on workers, queues and dead letters; schedules: edit and run schedules; admin: users, tokens, settings',
});

export const ApiTokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: RoleSchema,
    scopes: z.array(TokenScopeSchema).meta({ description: 'What the token may do besides what its role allows' }),
    createdBy: z.string().nullable().meta({ description: 'Email of the user who created it' }),
    createdAt: timestamp,
    expiresAt: timestamp.nullable(),
    lastUsedAt: timestamp.nullable(),
  })
  .meta({ id: 'ApiToken' });
export type ApiToken = z.infer<typeof ApiTokenSchema>;

export const ApiTokenListSchema = z.object({ tokens: z.array(ApiTokenSchema), nextCursor: z.string().nullable() });
export type ApiTokenList = z.infer<typeof ApiTokenListSchema>;

export const CreateTokenBodySchema = z
  .object({
    name: z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters'),
    role: RoleSchema,
    scopes: z
      .array(TokenScopeSchema)
      .min(1, 'must name at least one scope')
      .optional()
      .meta({ description: 'Default: every scope the role allows' }),
    expiresAt: z.iso
      .datetime({ offset: true, message: 'must be an ISO 8601 date-time' })
      .refine((value) => Date.parse(value) > Date.now(), 'must be in the future')
      .optional(),
  })
  .superRefine((body, context) => {
    const allowed = SCOPES_FOR_ROLE[body.role];
    for (const scope of body.scopes ?? []) {
      if (!allowed.includes(scope)) {
        context.addIssue({ code: 'custom', path: ['scopes'], message: `${scope} is more than the ${body.role} role allows (${allowed.join(', ')})` });
      }
    }
  })
  .transform((body) => ({ ...body, scopes: [...new Set(body.scopes ?? SCOPES_FOR_ROLE[body.role])] }));
export type CreateTokenBody = z.input<typeof CreateTokenBodySchema>;

export const CreatedTokenSchema = ApiTokenSchema.extend({
  token: z.string().meta({ description: 'The secret (lvg_...). Shown once; only its hash is stored.' }),
}).meta({ id: 'CreatedApiToken' });
export type CreatedToken = z.infer<typeof CreatedTokenSchema>;

// ---------- audit ----------

export const auditOutcomes = ['ok', 'denied', 'failed'] as const;

export const AuditEntrySchema = z
  .object({
    id: z.string(),
    at: timestamp,
    actor: z.string().meta({ description: 'Email, token:<name>, or anonymous' }),
    actorId: z.string().nullable(),
    action: z.string(),
    target: z.string().nullable(),
    params: z.unknown().nullable(),
    outcome: z.enum(auditOutcomes),
    error: z.string().nullable().meta({ description: 'Error code when outcome is not ok' }),
    ip: z.string().nullable(),
  })
  .meta({ id: 'AuditEntry' });
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

export const AuditQuerySchema = PageQuerySchema.extend({
  actor: z.string().min(1).max(254).optional(),
  action: z.string().min(1).max(100).optional(),
  since: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).optional(),
  until: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).optional(),
});
export type AuditQuery = z.input<typeof AuditQuerySchema>;

export const AuditPageSchema = z.object({ entries: z.array(AuditEntrySchema), nextCursor: z.string().nullable() });
export type AuditPage = z.infer<typeof AuditPageSchema>;

// ---------- monitor (tasks, workers, queues, schedules, metrics, overview) ----------

export * from './monitor-schemas.js';
export * from './cluster-schemas.js';
export * from './queue-history-schemas.js';

// ---------- operator actions and the live feed (socket.io protocol) ----------

export * from '../actions/schemas.js';
export * from '../live/schemas.js';
export * from '../alerts/schemas.js';
