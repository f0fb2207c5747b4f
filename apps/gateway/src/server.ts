// The gateway: one Fastify server over the monitor's database. Later issues add
// their parts as Fastify plugins, one folder each, registered in `createGateway`:
//   api/      versioned REST API (/api/v1/...)
//   live/     socket.io feed
//   auth/     users, sessions, API tokens
//   ingest/   event-stream consumer into the database
//   metrics/  Prometheus /metrics and per-minute buckets
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import type { PrismaClient } from './generated/prisma/client.js';
import { registerHealth } from './health.js';
import { openDatabase, type Database } from './store/database.js';

export interface GatewayOptions {
  /** postgres:// URL; when absent the embedded PGlite database under `dataDir` is used. */
  databaseUrl?: string | undefined;
  /** Data directory for embedded state (default `.lovage`). */
  dataDir?: string | undefined;
  /** 0 picks a free port. */
  port: number;
  host?: string | undefined;
  /** A pino logger; or the level of the default one (info). */
  logger?: Logger;
  logLevel?: string;
  migrationsDir?: string;
}

export interface Gateway {
  /** The base URL the server listens on, e.g. http://127.0.0.1:5555. */
  url: string;
  port: number;
  prisma: PrismaClient;
  database: Database;
  app: FastifyInstance;
  close(): Promise<void>;
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const logger = options.logger ?? pino({ name: 'lovage-gateway', level: options.logLevel ?? 'info' });
  const database = await openDatabase({
    databaseUrl: options.databaseUrl,
    dataDir: options.dataDir,
    logger,
    ...(options.migrationsDir ? { migrationsDir: options.migrationsDir } : {}),
  });

  // Typed with Fastify's base logger so plugins see the default FastifyInstance type.
  const loggerInstance: FastifyBaseLogger = logger;
  const app: FastifyInstance = Fastify({ loggerInstance });
  app.decorate('database', database);
  registerHealth(app, database);

  const host = options.host ?? '0.0.0.0';
  try {
    await app.listen({ port: options.port, host });
  } catch (error) {
    await app.close();
    await database.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const publicHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const url = `http://${publicHost.includes(':') ? `[${publicHost}]` : publicHost}:${port}`;
  logger.info({ url, database: database.kind }, 'gateway listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    prisma: database.prisma,
    database,
    app,
    close() {
      closing ??= (async () => {
        await app.close();
        await database.close();
      })();
      return closing;
    },
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    database: Database;
  }
}
