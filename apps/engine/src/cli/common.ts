// What every CLI command shares: how the app is found (--app, or --broker for
// commands that need no task code), errors with exit codes, and the run wrapper
// that closes connections and exits with the right code.
import type { Command} from 'commander';
import { CommanderError, InvalidArgumentError, Option } from 'commander';
import { Redis } from 'ioredis';
import { connect as connectAmqp } from 'amqplib';
import { envValue } from '../app/config.js';
import { Lovage } from '../app/lovage.js';
import { BrokerUnreachableError, ConfigError, LovageError } from '../errors.js';
import { toMs } from '../time/duration.js';
import { redact as redactUrl } from '../adapters/adapter.js';
import { loadApp } from './load-app.js';

/** A usage mistake (bad flag value, missing argument): exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export interface ConnectOptions {
  app?: string | undefined;
  broker?: string | undefined;
  prefix?: string | undefined;
  protocol?: 'lovage' | 'celery' | undefined;
}

export interface CommonOptions extends ConnectOptions {
  json?: boolean | undefined;
}

/** Adds --app, --broker, --prefix and --json to a command. */
export function withConnection(cmd: Command, options: { json?: boolean } = {}): Command {
  cmd
    .option('-A, --app <module>', 'module exporting the Lovage app (TypeScript or JavaScript)')
    .option('-b, --broker <url>', 'broker URL, instead of --app (default: $LOVAGE_BROKER_URL)')
    .option('--prefix <prefix>', 'key prefix with --broker (default: $LOVAGE_PREFIX or lovage:)')
    .addOption(
      new Option('--protocol <protocol>', "wire format with --broker: celery speaks to Python Celery workers (default: $LOVAGE_PROTOCOL or lovage)").choices(['lovage', 'celery']),
    );
  if (options.json !== false) cmd.option('--json', 'machine-readable JSON output');
  return cmd;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function durationMs(value: string): number {
  try {
    return toMs(/^\d+$/.test(value) ? Number(value) : (value), 'duration');
  } catch {
    throw new InvalidArgumentError('must be a duration such as 500, 1s, 2m');
  }
}

export function csv(value: string): string[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new InvalidArgumentError('must be a comma-separated list');
  return list;
}

export const destinationOption = (): Option =>
  new Option('-d, --destination <hosts>', 'only these workers (comma-separated hostnames)').argParser(csv);
export const timeoutOption = (): Option =>
  new Option('-t, --timeout <duration>', 'how long to wait for replies').argParser(durationMs).default(1_000, '1s');

/** Checks that a Redis or RabbitMQ broker answers, failing fast with one clear line instead of retrying forever. */
async function preflight(url: string): Promise<void> {
  if (/^amqps?:\/\//.test(url)) {
    try {
      await (await connectAmqp(url, { timeout: 3_000 })).close();
    } catch (err) {
      throw new BrokerUnreachableError(redactUrl(url), err);
    }
    return;
  }
  if (!/^rediss?:\/\//.test(url)) return;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3_000, enableOfflineQueue: false });
  let cause: unknown;
  client.on('error', (err: unknown) => (cause ??= err));
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    // The 'error' event carries the real reason (ECONNREFUSED, ENOTFOUND…); the rejection only says "closed".
    throw new BrokerUnreachableError(redactUrl(url), cause ?? err);
  } finally {
    client.disconnect();
  }
}

/** The app from --app, or a task-less app on --broker / the environment. */
export async function openApp(o: ConnectOptions): Promise<Lovage> {
  let app: Lovage;
  if (o.app) {
    if (o.broker) throw new UsageError('--app and --broker: give one or the other');
    if (o.protocol) throw new UsageError('--protocol goes with --broker: the app module sets its own protocol');
    app = (await loadApp(o.app)).app;
  } else {
    const broker = o.broker ?? envValue('LOVAGE_BROKER_URL');
    if (!broker) throw new UsageError('--app or --broker is required (or set LOVAGE_BROKER_URL)');
    app = Lovage.fromEnv({
      broker,
      logLevel: 'silent',
      ...(o.prefix === undefined ? {} : { prefix: o.prefix }),
      ...(o.protocol === undefined ? {} : { protocol: o.protocol }),
    });
  }
  await preflight(app.config.broker);
  return app;
}

/** Runs a short command: opens the app, runs, closes, and exits with the returned code. */
export function action<O extends ConnectOptions, A extends unknown[]>(
  fn: (app: Lovage, opts: O, ...args: A) => Promise<number | void>,
): (...params: unknown[]) => Promise<void> {
  return async (...params: unknown[]) => {
    // commander passes (...arguments, options, command)
    const opts = params.at(-2) as O;
    const args = params.slice(0, -2) as A;
    const app = await openApp(opts);
    let code: number | void;
    try {
      code = await fn(app, opts, ...args);
    } finally {
      await app.close().catch(() => undefined);
    }
    process.exit(code ?? EXIT.ok);
  };
}

/** Prints an error on one line (no stack) and returns its exit code. */
export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander has printed its message already
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  const usage = err instanceof UsageError || err instanceof InvalidArgumentError || err instanceof ConfigError;
  const text = err instanceof UsageError ? err.message : err instanceof LovageError || err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  process.stderr.write(`lovage: ${text}\n`);
  return usage ? EXIT.usage : EXIT.failure;
}
