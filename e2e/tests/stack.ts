// Where the end-to-end stack keeps its state: real Redis and real PostgreSQL, never the demo's
// embedded fallbacks. By default a Redis database and a PostgreSQL database of its own, both
// emptied by scripts/reset-stack.mjs before the demo starts; LOVAGE_BROKER_URL / DATABASE_URL
// point the run elsewhere (then they are not emptied). The watched Celery cluster on RabbitMQ
// always has its own vhost and results database, emptied at every start too.
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

const amqpHost = process.env.TEST_AMQP_HOST ?? '127.0.0.1:5672';
/** The RabbitMQ cluster's virtual host: e2e's own, deleted and created again at every start. */
const rabbitVhost = 'lovage-e2e';

/**
 * The Python Celery cluster on RabbitMQ the gateway also watches: Celery's exchanges and queues in
 * a vhost of e2e's own on the shared node (guest/guest), its results in Redis database 12 (a
 * database of its own, so its Lovage beat store is not the `shop` cluster's and the Schedules page
 * lists no schedule twice). celery.spec.ts starts its Python worker there.
 */
export const rabbitCluster = {
  name: 'rabbit',
  vhost: rabbitVhost,
  brokerUrl: `amqp://guest:guest@${amqpHost}/${rabbitVhost}`,
  resultBackend: `${redisServer.protocol}//${redisServer.host}/12`,
} as const;

/** What reset-stack.mjs empties before the demo starts: only the defaults above, and the RabbitMQ cluster's vhost and results. */
export const resetEnv: Record<string, string> = {
  LOVAGE_E2E_FLUSH_REDIS: [...(brokerUrl === defaultBroker ? [brokerUrl] : []), rabbitCluster.resultBackend].join(','),
  ...(databaseUrl === defaultDatabase ? { LOVAGE_E2E_RECREATE_DATABASE: databaseUrl } : {}),
  LOVAGE_E2E_RECREATE_VHOST: rabbitCluster.vhost,
};

/**
 * The Python Celery cluster the gateway watches (LOVAGE_CELERY_BROKER_URL): the stack's own Redis
 * database, its keys and pub/sub channels under kombu's global_keyprefix. celery.spec.ts starts
 * its Python workers there; reset-stack.mjs empties it with the rest of the database. Its Lovage
 * beat (Celery mode) keeps schedules under `beatPrefix` (LOVAGE_CELERY_BEAT_PREFIX).
 */
export const celeryCluster = { name: 'shop', brokerUrl, keyPrefix: 'e2e-celery:', beatPrefix: 'e2e-celery-beat:' } as const;
