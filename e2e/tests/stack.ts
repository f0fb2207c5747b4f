// Where the end-to-end stack keeps its state: real Redis and real PostgreSQL, never the demo's
// embedded fallbacks. By default a Redis database and a PostgreSQL database of its own, both
// emptied by scripts/reset-stack.mjs before the demo starts; LOVAGE_BROKER_URL / DATABASE_URL
// point the run elsewhere (then nothing is emptied).
const redisServer = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0');
const postgresServer = new URL(process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');

/** Redis database 13 on the test server: no other test suite uses it. */
const defaultBroker = `${redisServer.protocol}//${redisServer.host}/13`;
/** A database of its own, dropped and created again at every start. */
const defaultDatabase = (() => {
  const url = new URL(postgresServer);
  url.pathname = '/lovage_e2e';
  return url.toString();
})();

export const brokerUrl = process.env.LOVAGE_BROKER_URL || defaultBroker;
export const databaseUrl = process.env.DATABASE_URL || defaultDatabase;

/** What reset-stack.mjs empties before the demo starts: only the defaults above. */
export const resetEnv: Record<string, string> = {
  ...(brokerUrl === defaultBroker ? { LOVAGE_E2E_FLUSH_REDIS: brokerUrl } : {}),
  ...(databaseUrl === defaultDatabase ? { LOVAGE_E2E_RECREATE_DATABASE: databaseUrl } : {}),
};

/**
 * The Python Celery cluster the gateway watches (LOVAGE_CELERY_BROKER_URL): the stack's own Redis
 * database, its keys and pub/sub channels under kombu's global_keyprefix. celery.spec.ts starts
 * its Python workers there; reset-stack.mjs empties it with the rest of the database.
 */
export const celeryCluster = { name: 'shop', brokerUrl, keyPrefix: 'e2e-celery:' } as const;
