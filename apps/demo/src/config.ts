// The demo's settings, read from the environment once. Empty variables count as unset.
import { fileURLToPath } from 'node:url';

/**
 * `.lovage/` at the repository root, whatever the working directory (`npm start -w`
 * runs in apps/demo), so the demo and `npm run db:migrate` share one PGlite database.
 */
export const defaultDataDir = fileURLToPath(new URL('../../../.lovage', import.meta.url));
export interface DemoConfig {
  gatewayPort: number;
  host: string;
  databaseUrl: string | undefined;
  brokerUrl: string | undefined;
  dataDir: string;
  logLevel: string;
  dashboardUrl: string;
}

export function loadDemoConfig(env: Record<string, string | undefined> = process.env): DemoConfig {
  const read = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  const rawPort = read('PORT_GATEWAY') ?? '5555';
  const gatewayPort = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || gatewayPort > 65_535) {
    throw new Error(`PORT_GATEWAY=${JSON.stringify(rawPort)} is invalid: expected a port number (0-65535)`);
  }
  return {
    gatewayPort,
    host: read('HOST') ?? '0.0.0.0',
    databaseUrl: read('DATABASE_URL'),
    brokerUrl: read('LOVAGE_BROKER_URL'),
    dataDir: read('LOVAGE_DATA_DIR') ?? defaultDataDir,
    logLevel: read('LOG_LEVEL') ?? 'warn',
    dashboardUrl: read('LOVAGE_DASHBOARD_URL') ?? 'http://localhost:3000',
  };
}
