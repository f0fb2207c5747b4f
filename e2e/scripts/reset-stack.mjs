// Empties the end-to-end stack's own Redis database and creates its PostgreSQL database afresh,
// so the gateway migrates an empty schema and creates the first admin with the test password.
// playwright.config.ts runs it before the demo starts, and names only databases e2e owns.
import { Redis } from 'ioredis';
import pg from 'pg';

const redisUrl = process.env.LOVAGE_E2E_FLUSH_REDIS;
const databaseUrl = process.env.LOVAGE_E2E_RECREATE_DATABASE;

if (redisUrl) {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.flushdb();
  } catch (error) {
    throw new Error(`e2e: cannot empty the Redis database ${redisUrl}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    redis.disconnect();
  }
}

if (databaseUrl) {
  const target = new URL(databaseUrl);
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

console.log(`e2e: stack reset (${[redisUrl && `redis ${redisUrl}`, databaseUrl && `postgres ${databaseUrl}`].filter(Boolean).join(', ') || 'nothing to reset'})`);
