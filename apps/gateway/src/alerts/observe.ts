// What each kind of rule sees now: the subjects (queues, task names, workers,
// schedules) that breach the rule's bound, with the measured value and a line
// for the notification. The broker's figures come through the engine app the
// Queues and Schedules pages use; task outcomes and workers from the database.
import type { Lovage } from '@lovage/engine';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { AlertParams } from './schemas.js';

export interface Breach {
  value: number;
  message: string;
}

export interface ObserveSources {
  prisma: PrismaClient;
  /** Null without an engine app: the kinds that need the broker are not evaluated (nothing fires or resolves). */
  engine: Lovage | null;
}

/** Breaching subjects by name; null when this gateway cannot tell (no engine for a broker kind). */
export type Observation = Map<string, Breach> | null;

const matches = (wanted: string | undefined, name: string) => wanted === undefined || wanted === name;

export async function observe(rule: AlertParams, sources: ObserveSources, now: number): Promise<Observation> {
  const { prisma, engine } = sources;
  switch (rule.kind) {
    case 'failure_rate': {
      // The per-minute buckets the ingest keeps: a handful of rows per window, whatever the traffic.
      const since = new Date(Math.floor((now - rule.windowMinutes * 60_000) / 60_000) * 60_000);
      const totals = await prisma.metricBucket.aggregate({
        where: { taskName: rule.task, minute: { gte: since } },
        _sum: { failed: true, succeeded: true },
      });
      const failed = totals._sum.failed ?? 0;
      const finished = failed + (totals._sum.succeeded ?? 0);
      const percent = finished === 0 ? 0 : (failed / finished) * 100;
      const breaches = new Map<string, Breach>();
      if (finished >= rule.minCount && percent > rule.percent) {
        breaches.set(rule.task, {
          value: round(percent),
          message: `${failed} of ${finished} runs of ${rule.task} failed in the last ${rule.windowMinutes} min (${round(percent)}% > ${rule.percent}%)`,
        });
      }
      return breaches;
    }
    case 'queue_depth':
    case 'oldest_waiting': {
      if (!engine) return null;
      const breaches = new Map<string, Breach>();
      for (const queue of await engine.queues.list()) {
        if (!matches(rule.queue, queue.name)) continue;
        if (rule.kind === 'queue_depth' && queue.ready > rule.above) {
          breaches.set(queue.name, {
            value: queue.ready,
            message: `${queue.ready} tasks wait in ${queue.name} (more than ${rule.above})`,
          });
        }
        if (
          rule.kind === 'oldest_waiting' &&
          queue.oldestAgeMs !== null &&
          queue.oldestAgeMs > rule.aboveSeconds * 1_000
        ) {
          const seconds = Math.round(queue.oldestAgeMs / 1_000);
          breaches.set(queue.name, {
            value: seconds,
            message: `The oldest task in ${queue.name} has waited ${seconds} s (more than ${rule.aboveSeconds} s)`,
          });
        }
      }
      return breaches;
    }
    case 'worker_offline': {
      const rows = await prisma.worker.findMany({
        where:
          rule.worker !== undefined
            ? { hostname: rule.worker }
            : { online: false, lastHeartbeat: { gte: new Date(now - rule.forgetAfterMinutes * 60_000) } },
        select: { hostname: true, online: true, lastHeartbeat: true },
      });
      const breaches = new Map<string, Breach>();
      for (const worker of rows) {
        if (worker.online) continue;
        const seconds = Math.max(0, Math.round((now - worker.lastHeartbeat.getTime()) / 1_000));
        breaches.set(worker.hostname, {
          value: seconds,
          message: `Worker ${worker.hostname} is offline (last heartbeat ${seconds} s ago)`,
        });
      }
      return breaches;
    }
    case 'schedule_late': {
      if (!engine) return null;
      const breaches = new Map<string, Breach>();
      for (const entry of await engine.schedules.list()) {
        if (!entry.enabled || entry.nextRunAt === null || !matches(rule.schedule, entry.name)) continue;
        // Beat moves nextRunAt on as it fires; a due time left behind by more than the grace was missed.
        const lateMs = now - Date.parse(entry.nextRunAt);
        if (lateMs > rule.graceSeconds * 1_000) {
          const seconds = Math.round(lateMs / 1_000);
          breaches.set(entry.name, {
            value: seconds,
            message: `Schedule ${entry.name} was due at ${entry.nextRunAt} and has not run (${seconds} s late)`,
          });
        }
      }
      return breaches;
    }
    case 'dead_letters': {
      if (!engine) return null;
      const since = now - rule.windowMinutes * 60_000;
      const breaches = new Map<string, Breach>();
      for (const queue of await engine.queues.list()) {
        if (!matches(rule.queue, queue.name) || queue.dead <= rule.above) continue;
        // The newest above+1 letters, oldest first: all inside the window means more than `above` arrived in it.
        const letters = await engine.queues.deadLetters(queue.name, Math.min(rule.above + 1, 1_000));
        const recent = letters.filter((letter) => letter.at >= since).length;
        if (recent > rule.above) {
          breaches.set(queue.name, {
            value: recent,
            message: `${recent} tasks of ${queue.name} went to the dead letters in the last ${rule.windowMinutes} min (more than ${rule.above})`,
          });
        }
      }
      return breaches;
    }
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
