// GET /metrics/throughput?window=: per-minute (or wider) counts by outcome,
// failure rate and runtime percentiles, from the ingest's metric buckets and,
// past the metric retention, their hourly rollups.
import { metricSeries, type MetricPoint } from '../store/metric-queries.js';
import { defineRoute, type RouteRegistrar } from './route.js';
import { ThroughputQuerySchema, ThroughputSchema, type ThroughputPoint, type throughputWindows } from './schemas.js';

type Window = (typeof throughputWindows)[number];

/** Window length and point width: at most ~360 points, so a chart stays cheap to draw. */
const WINDOWS: Record<Window, { ms: number; stepSeconds: number }> = {
  '15m': { ms: 15 * 60_000, stepSeconds: 60 },
  '1h': { ms: 3_600_000, stepSeconds: 60 },
  '6h': { ms: 6 * 3_600_000, stepSeconds: 60 },
  '24h': { ms: 24 * 3_600_000, stepSeconds: 300 },
  '7d': { ms: 7 * 86_400_000, stepSeconds: 1_800 },
  '30d': { ms: 30 * 86_400_000, stepSeconds: 7_200 },
  '90d': { ms: 90 * 86_400_000, stepSeconds: 21_600 },
  '365d': { ms: 365 * 86_400_000, stepSeconds: 86_400 },
};

/** A window's whole steps, the last one holding the current minute. */
export function windowRange(window: Window, now = Date.now()): { from: Date; to: Date; stepSeconds: number } {
  const { ms, stepSeconds } = WINDOWS[window];
  const stepMs = stepSeconds * 1_000;
  const to = new Date((Math.floor(now / stepMs) + 1) * stepMs);
  const from = new Date(to.getTime() - Math.ceil(ms / stepMs) * stepMs);
  return { from, to, stepSeconds };
}

export function toThroughputPoint(point: MetricPoint): ThroughputPoint {
  const { at, ...totals } = point;
  return { at: at.toISOString(), ...totals };
}

export function registerThroughputRoutes(registrar: RouteRegistrar): void {
  const prisma = registrar.app.database.prisma;
  defineRoute(registrar, {
    method: 'GET',
    url: '/metrics/throughput',
    summary: 'Tasks received, started, succeeded, failed, retried and revoked per interval, with runtime percentiles',
    tag: 'metrics',
    access: 'viewer',
    query: ThroughputQuerySchema,
    response: ThroughputSchema,
    async handler({ query }) {
      const { from, to, stepSeconds } = windowRange(query.window);
      const series = await metricSeries(prisma, { from, to, stepSeconds, name: query.name, queue: query.queue });
      return {
        window: query.window,
        bucketSeconds: stepSeconds,
        from: from.toISOString(),
        to: to.toISOString(),
        points: series.points.map(toThroughputPoint),
        totals: series.totals,
      };
    },
  });
}
