// The soak's gateway, in a process of its own so its RSS is its own: it
// ingests the engine's event stream into <databaseUrl> with the default batch
// settings, and prints a JSON line with its ingest lag every 5 s.
//
//   tsx --conditions=@lovage/source soak-gateway.ts <databaseUrl> <redisUrl> <prefix>
import { Lovage } from '@lovage/engine';
import { createGateway } from '@lovage/gateway';

const [databaseUrl, redisUrl, prefix] = process.argv.slice(2);
if (!databaseUrl || !redisUrl || !prefix) throw new Error('usage: soak-gateway.ts <databaseUrl> <redisUrl> <prefix>');

const say = (line: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(line)}\n`);
const app = new Lovage({ broker: redisUrl, prefix, logLevel: 'silent' });
const gateway = await createGateway({
  databaseUrl,
  port: 0,
  host: '127.0.0.1',
  logLevel: 'warn',
  app,
  retention: false,
  passwordCost: 1024,
  ingest: { consumer: 'soak' },
  security: { adminEmail: 'soak@example.com', adminPassword: 'soak-password-123', metricsToken: undefined },
});
const ingest = gateway.ingest!;
const timer = setInterval(() => {
  ingest.lag().then(
    (lag) => say({ eventsApplied: lag.eventsApplied, behindMs: lag.behindMs, caughtUp: lag.caughtUp }),
    () => undefined,
  );
}, 5_000);
process.once('SIGTERM', () => {
  clearInterval(timer);
  void gateway.close().then(() => app.close()).then(() => process.exit(0));
});
say({ ready: true });
