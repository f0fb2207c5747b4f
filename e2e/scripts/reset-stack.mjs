// Empties the end-to-end stack's own Redis databases, creates its PostgreSQL database afresh and
// its RabbitMQ vhost too, so the gateway migrates an empty schema, creates the first admin with the
// test password and watches a Celery cluster on RabbitMQ that holds nothing from an earlier run.
// playwright.config.ts runs it before the demo starts, and names only databases and a vhost e2e owns.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';

const run = promisify(execFile);
const redisUrls = (process.env.LOVAGE_E2E_FLUSH_REDIS ?? '').split(',').filter((url) => url !== '');
const databaseUrl = process.env.LOVAGE_E2E_RECREATE_DATABASE;
const vhost = process.env.LOVAGE_E2E_RECREATE_VHOST;

async function flushRedis(url) {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.flushdb();
  } catch (error) {
    throw new Error(`e2e: cannot empty the Redis database ${url}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    redis.disconnect();
  }
}

async function recreateDatabase(url) {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`e2e: refusing to recreate database ${JSON.stringify(name)}`);
  const server = new URL(target);
  server.pathname = '/postgres';
  const client = new pg.Client({ connectionString: server.toString() });
  try {
    await client.connect();
    // FORCE ends sessions a previous run left behind (a demo killed mid-run).
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  } catch (error) {
    throw new Error(`e2e: cannot recreate the database ${name} on ${server.host}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** With rabbitmqctl on the shared node: its queues and exchanges go with it, and guest gets it back. */
async function recreateVhost(name) {
  if (!/^lovage-e2e[\w-]*$/.test(name)) throw new Error(`e2e: refusing to recreate the RabbitMQ vhost ${JSON.stringify(name)}`);
  const rabbitmqctl = async (...args) => {
    try {
      await run('rabbitmqctl', args, { timeout: 60_000 });
    } catch (error) {
      // A first run has nothing to delete.
      if (args[0] === 'delete_vhost' && /does not exist/.test(String(error.stderr))) return;
      throw new Error(`e2e: rabbitmqctl ${args.join(' ')} failed (is RabbitMQ running on 127.0.0.1:5672?): ${String(error.stderr || error.message).trim()}`);
    }
  };
  await rabbitmqctl('delete_vhost', name);
  await rabbitmqctl('add_vhost', name);
  await rabbitmqctl('set_permissions', '-p', name, 'guest', '.*', '.*', '.*');
}

await Promise.all([
  ...redisUrls.map(flushRedis),
  ...(databaseUrl ? [recreateDatabase(databaseUrl)] : []),
  ...(vhost ? [recreateVhost(vhost)] : []),
]);

const done = [...redisUrls.map((url) => `redis ${url}`), databaseUrl && `postgres ${databaseUrl}`, vhost && `rabbitmq vhost ${vhost}`].filter(Boolean);
console.log(`e2e: stack reset (${done.join(', ') || 'nothing to reset'})`);
