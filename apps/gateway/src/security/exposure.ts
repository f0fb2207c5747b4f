// What makes a gateway unsafe to expose beyond this machine: /metrics without a
// token, or the admin password generated at first start and never changed
// (it was printed in a terminal, maybe a CI log). Told once in the log at
// start, and to admins on the Settings page (GET /security/warnings) for as long
// as it holds.
import type { PrismaClient } from '../generated/prisma/client.js';
import { defineRoute, type RouteRegistrar } from '../api/route.js';
import { ExposureWarningListSchema, type ExposureWarning } from '../api/schemas.js';

export interface ExposureSettings {
  /** The address the gateway listens on. */
  host: string;
  metricsToken: string | undefined;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function listensBeyondLoopback(host: string): boolean {
  return !LOOPBACK.has(host) && !host.startsWith('127.');
}

export async function exposureWarnings(prisma: PrismaClient, settings: ExposureSettings): Promise<ExposureWarning[]> {
  if (!listensBeyondLoopback(settings.host)) return [];
  const warnings: ExposureWarning[] = [];
  if (settings.metricsToken === undefined) {
    warnings.push({
      code: 'METRICS_OPEN',
      message: `The gateway listens on ${settings.host} and /metrics needs no token: set LOVAGE_METRICS_TOKEN.`,
    });
  }
  const generated = await prisma.user.findMany({ where: { passwordGenerated: true }, select: { email: true } });
  for (const { email } of generated) {
    warnings.push({
      code: 'GENERATED_ADMIN_PASSWORD',
      message: `The gateway listens on ${settings.host} and ${email} still has the password generated at first start: change it in Settings.`,
    });
  }
  return warnings;
}

export function registerExposureRoutes(registrar: RouteRegistrar, settings: ExposureSettings): void {
  const prisma = registrar.app.database.prisma;
  defineRoute(registrar, {
    method: 'GET',
    url: '/security/warnings',
    summary: 'What makes this gateway unsafe to expose (open /metrics, an unchanged generated password)',
    tag: 'security',
    access: 'admin',
    response: ExposureWarningListSchema,
    async handler() {
      return { warnings: await exposureWarnings(prisma, settings) };
    },
  });
}
