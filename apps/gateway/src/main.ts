// `lovage-gateway`: the monitor server on its own, configured from the environment.
// With LOVAGE_BROKER_URL it connects to that broker (and reads LOVAGE_PREFIX and
// the engine's other LOVAGE_* options): it ingests the event stream, shows queues
// and runs actions. With LOVAGE_CELERY_BROKER_URL it also watches those Python
// Celery clusters' events. Without either, it serves what the database holds.
import { Lovage } from '@lovage/engine';
import pino from 'pino';
import { ConfigError, loadConfig, type GatewayConfig } from './config.js';
import { createGateway } from './server.js';

let config: GatewayConfig;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`lovage-gateway: ${error.message}`);
  process.exit(1);
}
const logger = pino({ name: 'lovage-gateway', level: config.logLevel });
const app = config.brokerUrl ? Lovage.fromEnv({ broker: config.brokerUrl }) : undefined;
try {
  const gateway = await createGateway({
    app,
    port: config.port,
    host: config.host,
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    celery: config.celery,
    security: config.security,
    ingest: { consumer: config.name },
    liveFanout: config.liveRedisUrl ? { redisUrl: config.liveRedisUrl } : undefined,
    logger,
  });
  if (gateway.firstRun) {
    // Shown once: only its hash is kept. Printed on stdout rather than in the log stream on purpose.
    console.log(
      `lovage-gateway: created admin ${gateway.firstRun.email} with password ${gateway.firstRun.password} (shown once)`,
    );
  }
  const stop = (signal: string) => {
    logger.info({ signal }, 'stopping');
    gateway
      .close()
      .then(() => app?.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'error while stopping');
          process.exit(1);
        },
      );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  logger.fatal({ err: error }, 'gateway failed to start');
  await app?.close().catch(() => undefined);
  process.exitCode = 1;
}
