// The gateway's configuration: read from the environment once, validated by zod,
// with a message that names the variable and the value when something is wrong.
import { z } from 'zod';

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(5555),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  LOVAGE_DATA_DIR: z.string().min(1).default('.lovage'),
  LOVAGE_BROKER_URL: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

const booleanFlag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no'], { message: 'expected true or false' })
  .transform((value) => value === '1' || value === 'true' || value === 'yes');

const securitySchema = z.object({
  LOVAGE_ADMIN_EMAIL: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.email({ message: 'must be an email address' }))
    .default('admin@lovage.local'),
  LOVAGE_ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').max(200).optional(),
  LOVAGE_DASHBOARD_URL: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
    .default('http://localhost:3000'),
  LOVAGE_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  LOVAGE_TRUST_PROXY: booleanFlag.default(false),
  LOVAGE_SESSION_TTL_HOURS: z.coerce.number().positive().max(24 * 90).default(12),
});

/** Authentication and exposure settings: secrets come only from here. */
export interface SecurityConfig {
  /** The first admin's email (created when no user exists). */
  adminEmail: string;
  /** The first admin's password; when unset a random one is generated and shown once. */
  adminPassword: string | undefined;
  /** The dashboard's origin is allowed to send state-changing requests besides the gateway's own. */
  dashboardUrl: string;
  /** When set, GET /metrics requires `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** Trust X-Forwarded-Proto/-For/-Host from a reverse proxy (secure cookies, client IP). */
  trustProxy: boolean;
  /** Idle lifetime of a session; each use renews it (sliding expiry). */
  sessionTtlMs: number;
}

export type GatewayConfig = {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  brokerUrl: string | undefined;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  security: SecurityConfig;
};

function cleanEnv(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
}

function configError(error: z.ZodError, cleaned: Record<string, string>, secret: (field: string) => boolean): ConfigError {
  const issue = error.issues[0];
  const field = String(issue?.path[0] ?? 'environment');
  const shown = secret(field) ? '<hidden>' : JSON.stringify(cleaned[field]);
  return new ConfigError(`${field}=${shown} is invalid: ${issue?.message ?? 'bad value'}`);
}

const secretVariables = new Set(['LOVAGE_ADMIN_PASSWORD', 'LOVAGE_METRICS_TOKEN']);

/** Resolves the security settings alone (createGateway reads them when its caller did not pass them). */
export function loadSecurityConfig(env: Record<string, string | undefined> = process.env): SecurityConfig {
  const cleaned = cleanEnv(env);
  const parsed = securitySchema.safeParse(cleaned);
  if (!parsed.success) throw configError(parsed.error, cleaned, (field) => secretVariables.has(field));
  const value = parsed.data;
  return {
    adminEmail: value.LOVAGE_ADMIN_EMAIL,
    adminPassword: value.LOVAGE_ADMIN_PASSWORD,
    dashboardUrl: value.LOVAGE_DASHBOARD_URL,
    metricsToken: value.LOVAGE_METRICS_TOKEN,
    trustProxy: value.LOVAGE_TRUST_PROXY,
    sessionTtlMs: value.LOVAGE_SESSION_TTL_HOURS * 3_600_000,
  };
}

/** Resolves the configuration from an environment (process.env by default); empty strings count as unset. */
export function loadConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const cleaned = cleanEnv(env);
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) throw configError(parsed.error, cleaned, () => false);
  const value = parsed.data;
  const security = loadSecurityConfig(env);
  return {
    port: value.PORT,
    host: value.HOST,
    databaseUrl: value.DATABASE_URL,
    dataDir: value.LOVAGE_DATA_DIR,
    brokerUrl: value.LOVAGE_BROKER_URL,
    logLevel: value.LOG_LEVEL,
    security,
  };
}
