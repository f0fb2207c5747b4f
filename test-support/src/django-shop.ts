// Runs the django_shop fixture (test-support/python/django_shop): a Django 3.2
// project whose Celery app is configured from the environment, on a peer
// configuration (its key prefix and queue isolate a test) and a database the
// test made.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { testPostgresUrl } from './env.js';
import {
  runPythonJson,
  runPythonScript,
  type PeerConfig,
  type RunPythonOptions,
} from './python-peer.js';

/** The Django project's folder (manage.py, the django_shop package, the accounts app). */
export const djangoShopDir = fileURLToPath(new URL('../python/django_shop', import.meta.url));

export interface DjangoShop {
  config: PeerConfig;
  /** The project's database (DATABASE_URL). */
  databaseUrl: string;
}

/** The URL of database `name` on the test server. */
function urlOf(name: string): string {
  const url = new URL(testPostgresUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: testPostgresUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** An empty database on the test server for the shop (the test runs `manage.py migrate` on it). */
export async function createShopDatabase(): Promise<{ name: string; url: string }> {
  const name = `lovage_django_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE "${name}"`);
  return { name, url: urlOf(name) };
}

export async function dropShopDatabase(name: string): Promise<void> {
  await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

function shopOptions(shop: DjangoShop, options: RunPythonOptions): RunPythonOptions {
  const { config } = shop;
  return {
    ...options,
    cwd: djangoShopDir,
    env: {
      PYTHONPATH: djangoShopDir,
      DJANGO_SETTINGS_MODULE: 'django_shop.settings',
      DATABASE_URL: shop.databaseUrl,
      CELERY_BROKER_URL: config.brokerUrl,
      CELERY_RESULT_BACKEND: config.resultBackend,
      CELERY_KEY_PREFIX: config.keyPrefix,
      CELERY_TASK_DEFAULT_QUEUE: config.queue,
      ...options.env,
    },
  };
}

/** `python manage.py <args>` (e.g. `migrate --noinput`). */
export function manage(
  shop: DjangoShop,
  args: string[],
  options: RunPythonOptions = {},
): Promise<{ stdout: string; stderr: string }> {
  return runPythonScript('manage.py', shop.config, { ...shopOptions(shop, options), args });
}

/**
 * Runs a snippet in the set-up Django project (what `manage.py shell -c` does)
 * and parses the last line it printed as JSON.
 */
export function djangoShell<T>(shop: DjangoShop, code: string, options: RunPythonOptions = {}): Promise<T> {
  return runPythonJson<T>(`import django\ndjango.setup()\n${code}`, shop.config, shopOptions(shop, options));
}
