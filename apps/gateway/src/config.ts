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

export type GatewayConfig = {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  brokerUrl: string | undefined;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
};

/** Resolves the configuration from an environment (process.env by default); empty strings count as unset. */
export function loadConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(`${field}=${JSON.stringify(cleaned[field])} is invalid: ${issue?.message ?? 'bad value'}`);
  }
  const value = parsed.data;
  return {
    port: value.PORT,
    host: value.HOST,
    databaseUrl: value.DATABASE_URL,
    dataDir: value.LOVAGE_DATA_DIR,
    brokerUrl: value.LOVAGE_BROKER_URL,
    logLevel: value.LOG_LEVEL,
  };
}
