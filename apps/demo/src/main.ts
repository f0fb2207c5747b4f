// The demo's all-in-one process, what `npm start` runs: the engine app with a
// worker (async pool) and a threads-pool worker for images, beat, the outbox
// relay, the load generator, and the gateway ingesting the app's event stream.
// The broker is memory:// unless LOVAGE_BROKER_URL is set; the databases are
// embedded PGlite unless DATABASE_URL is set.
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Beat, Worker } from '@lovage/engine';
import { relayOutbox, type OutboxRelay } from '@lovage/engine/prisma';
import { applyResultBackends, createGateway, parseCeleryClusters, requireResultBackends, type CeleryClusterConfig, type Gateway } from '@lovage/gateway';
import { app, imagesQueue, useDemoStore } from './app.js';
import { banner } from './banner.js';
import { checkBroker } from './broker-check.js';
import { DemoConfigError, loadDemoConfig, redactUrl, type DemoConfig } from './config.js';
import { startLoadGenerator, type LoadGenerator } from './load-generator.js';
import { describeStartError } from './start-error.js';
import { OUTBOX_TABLE, openDemoStore, type DemoStore } from './store.js';

/** Everything started so far, stopped in reverse order. */
interface Running {
  store?: DemoStore;
  workers: Worker[];
  beat?: Beat;
  gateway?: Gateway;
  relay?: OutboxRelay;
  load?: LoadGenerator;
}
const running: Running = { workers: [] };

/** The Celery clusters the gateway watches, or a DemoConfigError naming the variable. */
function celeryClusters(config: DemoConfig): CeleryClusterConfig[] {
  if (!config.celeryBrokerUrl) return [];
  let clusters: CeleryClusterConfig[];
  try {
    clusters = parseCeleryClusters(config.celeryBrokerUrl, config.celeryKeyPrefix, config.celeryBeatPrefix);
  } catch (error) {
    throw new DemoConfigError(`LOVAGE_CELERY_BROKER_URL=${JSON.stringify(redactUrl(config.celeryBrokerUrl))} is invalid: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (config.celeryResultBackend) {
    try {
      clusters = applyResultBackends(clusters, config.celeryResultBackend);
    } catch (error) {
      throw new DemoConfigError(`LOVAGE_CELERY_RESULT_BACKEND=${JSON.stringify(redactUrl(config.celeryResultBackend))} is invalid: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  try {
    requireResultBackends(clusters);
  } catch (error) {
    throw new DemoConfigError(error instanceof Error ? error.message : String(error));
  }
  return clusters;
}

async function start(config: DemoConfig): Promise<Gateway> {
  if (config.brokerUrl) await checkBroker(config.brokerUrl);
  // The gateway first: it checks the port and DATABASE_URL and explains what is wrong.
  const gateway = await createGateway({
    app,
    port: config.gatewayPort,
    host: config.host,
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    logLevel: config.logLevel,
    celery: celeryClusters(config),
  });
  running.gateway = gateway;

  const store = await openDemoStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  running.store = store;
  useDemoStore(store);

  if (config.worker) {
    const host = hostname();
    const io = app.worker({ queues: [app.defaultQueue()], concurrency: 16, hostname: `io-${process.pid}@${host}`, shutdownGrace: '5s' });
    const cpu = app.worker({
      queues: [imagesQueue],
      pool: 'threads',
      concurrency: 2,
      appModule: fileURLToPath(new URL('./app.ts', import.meta.url)),
      hostname: `cpu-${process.pid}@${host}`,
      shutdownGrace: '5s',
    });
    running.workers.push(io, cpu);
    await Promise.all([io.start(), cpu.start()]);
  }
  if (config.beat) {
    running.beat = app.beat();
    await running.beat.start();
  }
  running.relay = relayOutbox({ prisma: store.prisma, app, interval: '1s', table: OUTBOX_TABLE });
  running.load = startLoadGenerator({ prisma: store.prisma, rate: config.rate, logger: app.logger });
  if (config.rate > 0) {
    // The seed's periodic tasks run hourly and daily: run each once now so the
    // dashboard shows them (and their schedules' history) from the first minute.
    for (const name of ['daily-report', 'cleanup-every-hour']) {
      await app.schedules.runNow(name, { actor: 'demo' }).catch((error: unknown) => app.logger.warn({ err: error, name }, 'demo: could not run schedule'));
    }
  }
  return gateway;
}

async function stopAll(): Promise<void> {
  await running.load?.stop();
  await running.relay?.stop();
  await running.beat?.close();
  await Promise.all(running.workers.map((worker) => worker.close()));
  await running.gateway?.close();
  await app.close();
  await running.store?.close();
}

let config: DemoConfig;
try {
  config = loadDemoConfig(undefined, process.argv.slice(2));
} catch (error) {
  console.error(describeStartError(error, 0));
  process.exit(2);
}

let gateway: Gateway;
try {
  gateway = await start(config);
} catch (error) {
  console.error(describeStartError(error, config.gatewayPort));
  await Promise.race([stopAll().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 3_000).unref())]);
  process.exit(1);
}

console.log(banner(config, gateway.url, gateway.admin));

let stopping = false;
function stop(signal: NodeJS.Signals): void {
  if (stopping) {
    console.log(`lovage: ${signal} again, exiting now`);
    process.exit(1);
  }
  stopping = true;
  console.log(`lovage: ${signal} received, stopping…`);
  stopAll().then(
    () => process.exit(0),
    (error: unknown) => {
      app.logger.error({ err: error }, 'error while stopping');
      process.exit(1);
    },
  );
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
