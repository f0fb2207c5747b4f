// The demo's all-in-one process: the gateway (with its embedded database by
// default). The engine's worker, beat and the demo producer join it here later.
import { createGateway, type Gateway } from '@lovage/gateway';
import { banner } from './banner.js';
import { loadDemoConfig } from './config.js';
import { describeStartError } from './start-error.js';

let config;
try {
  config = loadDemoConfig();
} catch (error) {
  console.error(`lovage: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

let gateway: Gateway;
try {
  gateway = await createGateway({
    port: config.gatewayPort,
    host: config.host,
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    logLevel: config.logLevel,
  });
} catch (error) {
  console.error(describeStartError(error, config.gatewayPort));
  process.exit(1);
}

console.log(banner(config, gateway.url, gateway.admin));

let stopping = false;
function stop(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  console.log(`lovage: ${signal} received, stopping…`);
  gateway.close().then(
    () => process.exit(0),
    (error: unknown) => {
      gateway.app.log.error({ err: error }, 'error while stopping');
      process.exit(1);
    },
  );
}
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
