// The demo's settings, read from the environment and the command line once.
// Empty variables count as unset.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * `.lovage/` at the repository root, whatever the working directory (`npm start -w`
 * runs in apps/demo), so the demo and `npm run db:migrate` share one PGlite database.
 */
export const defaultDataDir = fileURLToPath(new URL('../../../.lovage', import.meta.url));

/** Actions per second of the load generator when neither --rate nor LOVAGE_DEMO_RATE says. */
export const defaultRate = 3;

export interface DemoConfig {
  gatewayPort: number;
  host: string;
  databaseUrl: string | undefined;
  brokerUrl: string | undefined;
  dataDir: string;
  logLevel: string;
  dashboardUrl: string;
  /** Load generator actions per second; 0 turns it off. */
  rate: number;
  /** Run a worker (async pool) and a threads-pool worker in this process. */
  worker: boolean;
  /** Run beat in this process. */
  beat: boolean;
  /**
   * Python Celery clusters the gateway also watches (LOVAGE_CELERY_BROKER_URL, `[name=]redis://…`
   * or `[name=]amqp://…` comma-separated, LOVAGE_CELERY_KEY_PREFIX and
   * LOVAGE_CELERY_RESULT_BACKEND), as the gateway's own CLI reads them; main.ts
   * parses them with the gateway's parser (this module is loaded by workers, which must not load
   * the gateway).
   */
  celeryBrokerUrl: string | undefined;
  celeryKeyPrefix: string;
  /** The key prefix of a Lovage beat in Celery mode beside those clusters (LOVAGE_CELERY_BEAT_PREFIX): its schedules show on the Schedules page. */
  celeryBeatPrefix: string | undefined;
  /** Where the clusters keep their results when elsewhere than their broker (LOVAGE_CELERY_RESULT_BACKEND); required for a cluster on RabbitMQ. */
  celeryResultBackend: string | undefined;
}

export const usage = `usage: npm start -w @lovage/demo -- [--rate N] [--no-worker] [--no-beat]
  --rate N      load generator actions per second (default ${defaultRate}, env LOVAGE_DEMO_RATE; 0 = none)
  --no-worker   run no workers here (run them with: npm run worker -w @lovage/demo)
  --no-beat     run no beat here (run it with: npm run beat -w @lovage/demo)`;

/** A setting that cannot be used; the message names it and says what was expected. */
export class DemoConfigError extends Error {
  override name = 'DemoConfigError';
}

export function loadDemoConfig(env: Record<string, string | undefined> = process.env, argv: string[] = []): DemoConfig {
  const read = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  let flags;
  try {
    flags = parseArgs({
      args: argv,
      options: { rate: { type: 'string' }, 'no-worker': { type: 'boolean' }, 'no-beat': { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new DemoConfigError(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
  }

  const rawPort = read('PORT_GATEWAY') ?? '5555';
  const gatewayPort = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || gatewayPort > 65_535) {
    throw new DemoConfigError(`PORT_GATEWAY=${JSON.stringify(rawPort)} is invalid: expected a port number (0-65535)`);
  }
  const rateSource = flags.rate !== undefined ? '--rate' : 'LOVAGE_DEMO_RATE';
  const rawRate = flags.rate ?? read('LOVAGE_DEMO_RATE') ?? String(defaultRate);
  const rate = Number(rawRate);
  if (rawRate.trim() === '' || !Number.isFinite(rate) || rate < 0 || rate > 1000) {
    throw new DemoConfigError(`${rateSource}=${JSON.stringify(rawRate)} is invalid: expected actions per second, 0 to 1000`);
  }
  const databaseUrl = read('DATABASE_URL');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new DemoConfigError(
      `DATABASE_URL=${JSON.stringify(redactUrl(databaseUrl))} is not a PostgreSQL URL: expected postgresql://USER:PASSWORD@HOST:5432/DATABASE, or unset it to use embedded PGlite`,
    );
  }
  const brokerUrl = read('LOVAGE_BROKER_URL');
  if (brokerUrl && !/^(rediss?(\+sentinel|\+cluster)?|memory):\/\//.test(brokerUrl)) {
    throw new DemoConfigError(
      `LOVAGE_BROKER_URL=${JSON.stringify(redactUrl(brokerUrl))} is not a broker URL: expected redis://HOST:6379/0 (or rediss://, redis[s]+sentinel://, redis[s]+cluster://, memory://)`,
    );
  }
  return {
    gatewayPort,
    host: read('HOST') ?? '0.0.0.0',
    databaseUrl,
    brokerUrl,
    dataDir: read('LOVAGE_DATA_DIR') ?? defaultDataDir,
    logLevel: read('LOG_LEVEL') ?? 'warn',
    dashboardUrl: read('LOVAGE_DASHBOARD_URL') ?? 'http://localhost:3000',
    rate,
    worker: flags['no-worker'] !== true,
    beat: flags['no-beat'] !== true,
    celeryBrokerUrl: read('LOVAGE_CELERY_BROKER_URL'),
    celeryKeyPrefix: read('LOVAGE_CELERY_KEY_PREFIX') ?? '',
    celeryBeatPrefix: read('LOVAGE_CELERY_BEAT_PREFIX'),
    celeryResultBackend: read('LOVAGE_CELERY_RESULT_BACKEND'),
  };
}

/**
 * The engine's log level. The demo fails tasks on purpose (declined cards, soft
 * time limits), which the engine logs as warnings: the dashboard shows those, so
 * the terminal keeps to errors unless asked.
 */
export function engineLogLevel(env: Record<string, string | undefined> = process.env): string {
  return env.LOVAGE_LOG_LEVEL || env.LOG_LEVEL || 'error';
}

/**
 * A URL with its password replaced by ***, for messages. (Written here rather
 * than imported from the gateway: app.ts reads this module, and workers must
 * not load the gateway.)
 */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}
