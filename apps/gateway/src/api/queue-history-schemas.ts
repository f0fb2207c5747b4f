// Schemas of the queue history routes (GET /queues/history and
// /queues/{name}/history): depth samples and wait times over a window.
import { z } from 'zod';
import { throughputWindows } from './monitor-schemas.js';

const timestamp = z.iso.datetime({ offset: true });

export const QueueHistoryQuerySchema = z.object({
  window: z.enum(throughputWindows).default('1h'),
  cluster: z.string().min(1).max(100).optional().meta({ description: "A watched Celery cluster's queue (omit for the gateway's own broker)" }),
});
export type QueueHistoryQuery = z.input<typeof QueueHistoryQuerySchema>;

export const QueueHistoryParamsSchema = z.object({ name: z.string().min(1, 'is required').max(200, 'must be at most 200 characters') });

const WaitFigures = {
  /** Tasks that started (first attempt) in the interval with a known send time. */
  waitCount: z.number().int(),
  /** Seconds from sent (or ETA) to the first start, from the wait histogram (upper bound of the bin holding the rank, at most 41 % above). */
  waitP50: z.number().nullable(),
  waitP95: z.number().nullable(),
  waitP99: z.number().nullable(),
  waitMax: z.number().nullable(),
};

export const QueueHistoryPointSchema = z
  .object({
    /** Start of the interval. */
    at: timestamp,
    /** Mean of the samples in the interval (one a minute); null when none was taken. */
    ready: z.number().nullable(),
    delayed: z.number().nullable(),
    reserved: z.number().nullable(),
    /** Largest ready count sampled in the interval. */
    readyMax: z.number().int().nullable(),
    /** Largest age (seconds) of the oldest waiting message sampled in the interval. */
    oldestAgeSeconds: z.number().nullable(),
    ...WaitFigures,
  })
  .meta({ id: 'QueueHistoryPoint' });
export type QueueHistoryPoint = z.infer<typeof QueueHistoryPointSchema>;

export const QueueWaitByTaskSchema = z.object({ name: z.string(), ...WaitFigures }).meta({ id: 'QueueWaitByTask' });
export type QueueWaitByTask = z.infer<typeof QueueWaitByTaskSchema>;

export const QueueHistoryEntrySchema = z
  .object({
    name: z.string(),
    /** The watched Celery cluster, null for the gateway's own broker. */
    cluster: z.string().nullable(),
    /** Every interval of the window, oldest first. */
    points: z.array(QueueHistoryPointSchema),
    /** Wait figures over the whole window. */
    waits: z.object(WaitFigures),
    /** Wait figures per task name over the whole window, most started first. */
    byTask: z.array(QueueWaitByTaskSchema),
  })
  .meta({ id: 'QueueHistoryEntry' });
export type QueueHistoryEntry = z.infer<typeof QueueHistoryEntrySchema>;

const window = {
  window: z.enum(throughputWindows),
  /** Width of each point: 60 s up to 6 h windows, wider beyond (as the throughput's). */
  bucketSeconds: z.number().int(),
  from: timestamp,
  to: timestamp,
};

export const QueueHistorySchema = z.object({ ...window, queue: QueueHistoryEntrySchema });
export type QueueHistory = z.infer<typeof QueueHistorySchema>;

export const QueueHistoryListSchema = z.object({
  ...window,
  /** Every queue with a sample or a wait in the window, by cluster ('' first) and name. */
  queues: z.array(QueueHistoryEntrySchema),
});
export type QueueHistoryList = z.infer<typeof QueueHistoryListSchema>;
