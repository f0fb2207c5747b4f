// What `npm start` prints once everything listens: where to look, and which
// embedded defaults are in use with how to switch to the production parts.
import path from 'node:path';
import { redactUrl, type AdminLogin } from '@lovage/gateway';
import type { DemoConfig } from './config.js';

export function banner(config: DemoConfig, gatewayUrl: string, admin?: AdminLogin): string {
  const broker = config.brokerUrl
    ? `${redactUrl(config.brokerUrl)}`
    : 'memory:// (in-process; tasks live only as long as this process)';
  const database = config.databaseUrl
    ? `PostgreSQL ${redactUrl(config.databaseUrl)}`
    : `PGlite (embedded) at ${path.resolve(config.dataDir, 'pglite')}`;
  const lines = [
    '',
    '  Lovage demo',
    '',
    `  Dashboard  ${config.dashboardUrl}`,
    `  Gateway    ${gatewayUrl}   (health: ${gatewayUrl}/healthz)`,
    `  Broker     ${broker}`,
    `  Database   ${database}`,
  ];
  if (config.celeryBrokerUrl) lines.push(`  Celery     ${redactEntries(config.celeryBrokerUrl)}   (Python clusters watched)`);
  if (admin) lines.push(`  Login      ${loginLine(admin)}`);
  lines.push(`  Runs here  ${pieces(config)}`);
  lines.push(`  Traffic    ${traffic(config.rate)}`);
  lines.push('');
  if (!config.brokerUrl) lines.push('  Use Redis:      LOVAGE_BROKER_URL=redis://127.0.0.1:6379/0 npm start');
  if (!config.databaseUrl) lines.push('  Use Postgres:   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/lovage npm start');
  lines.push('  Stop:           Ctrl-C', '');
  return lines.join('\n');
}

/** LOVAGE_CELERY_BROKER_URL's `[name=]url` entries, each without its password. */
function redactEntries(list: string): string {
  return list.replace(/(\/\/[^:@/,]*):[^@/,]*@/g, '$1:***@');
}

/** How to sign in: a generated password is printed this one time (only its hash is stored). */
function loginLine(admin: AdminLogin): string {
  switch (admin.password.source) {
    case 'generated':
      return `${admin.email} / ${admin.password.value}   (generated now, shown only this once)`;
    case 'environment':
      return `${admin.email}   (password from LOVAGE_ADMIN_PASSWORD)`;
    case 'existing':
      return 'with an existing user (the first admin was created at an earlier start)';
  }
}

function pieces(config: DemoConfig): string {
  const parts = [];
  if (config.worker) parts.push('worker (async, queue default)', 'worker (threads, queue images)');
  if (config.beat) parts.push('beat');
  parts.push('outbox relay');
  return parts.join(', ');
}

function traffic(rate: number): string {
  if (rate === 0) return 'none (load generator off; --rate N or LOVAGE_DEMO_RATE=N to turn it on)';
  return `${rate} actions/s of sign-ups, orders, thumbnails and exports (--rate N or LOVAGE_DEMO_RATE=N; 0 = off)`;
}
