// GET /clusters: each watched Python Celery cluster, its event source, and what
// reconciliation found after the gateway (re)subscribed to its events.
import { z } from 'zod';

const timestamp = z.iso.datetime({ offset: true });

export const ReconcileReportSchema = z
  .object({
    at: timestamp,
    /** Tasks whose row this reconciliation changed (final states from the result backend, tasks workers hold). */
    tasks: z.number().int(),
    /** Unfinished tasks of the cluster looked up in the result backend. */
    lookedUp: z.number().int(),
    /** Workers that answered `inspect active/reserved/scheduled`. */
    workers: z.number().int(),
    missedSince: timestamp.nullable(),
    missedUntil: timestamp,
    /** Why it stopped short, null when it ran through. */
    error: z.string().nullable(),
  })
  .meta({ id: 'ReconcileReport' });
export type ReconcileReport = z.infer<typeof ReconcileReportSchema>;

export const CeleryClusterSchema = z
  .object({
    /** LOVAGE_CELERY_BROKER_URL's name for it (the badge and the tasks' and workers' `cluster`). */
    name: z.string(),
    eventSource: z.object({
      state: z.enum(['running', 'failing', 'stopped']),
      eventsApplied: z.number().int(),
      malformed: z.number().int(),
      dropped: z.number().int(),
      lastEventAt: timestamp.nullable(),
      lastError: z.string().nullable(),
    }),
    lastReconciledAt: timestamp.nullable(),
    /** Tasks changed by reconciliation since the gateway started. */
    reconciledCount: z.number().int(),
    /** The last window in which events may have been missed: from the newest event seen before it to the resubscription. */
    missedSince: timestamp.nullable(),
    missedUntil: timestamp.nullable(),
    lastReconcile: ReconcileReportSchema.nullable(),
    /** When the workers' `inspect stats` last answered. */
    statsRefreshedAt: timestamp.nullable(),
    workersOnline: z.number().int(),
  })
  .meta({ id: 'CeleryCluster' });
export type CeleryCluster = z.infer<typeof CeleryClusterSchema>;

export const CeleryClusterListSchema = z.object({ clusters: z.array(CeleryClusterSchema) });
export type CeleryClusterList = z.infer<typeof CeleryClusterListSchema>;
