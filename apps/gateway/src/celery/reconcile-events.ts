// What a Celery cluster says outside its event stream, as the Lovage events the
// ingest applies: the final state a task left in the result backend
// (`celery-task-meta-<id>`), and the tasks a worker holds (`inspect active`,
// `reserved`, `scheduled`). Reconciliation writes these through the same
// applyBatch as live events, so state precedence decides as for any late event:
// a reconciled SUCCESS never undoes a newer state, and applying twice changes
// nothing.
import { pythonRepr, type CeleryResultMeta } from '@lovage/engine/celery';
import type { LovageEvent } from '@lovage/engine';

/** What the store holds of a task that reconciliation may move on. */
export interface StoredTask {
  id: string;
  name: string;
  queue: string;
  retries: number;
  worker: string | null;
  /** Epoch ms, null when it never started as far as the store knows. */
  startedAt: number | null;
}

/** Each reconciled event gets its own sequence number, so a batch's de-duplication never merges two tasks. */
export class EventSequence {
  private next = 0;
  take(): number {
    return ++this.next;
  }
}

/** Python's repr of a call's positional arguments: a tuple, as Celery's events show them. */
export function argsRepr(args: unknown): string {
  if (typeof args === 'string') return args;
  if (!Array.isArray(args)) return '()';
  return `(${args.map((arg) => pythonRepr(arg)).join(', ')}${args.length === 1 ? ',' : ''})`;
}

function kwargsRepr(kwargs: unknown): string {
  if (typeof kwargs === 'string') return kwargs;
  return pythonRepr(kwargs !== null && typeof kwargs === 'object' ? kwargs : {});
}

/** The event for a result backend's state of a stored task; undefined for states that tell nothing new (PENDING, RETRY, custom). */
export function eventFromResult(meta: CeleryResultMeta, task: StoredTask, sequence: EventSequence): LovageEvent | undefined {
  const timestamp = meta.dateDone?.getTime() ?? Date.now();
  const base = {
    timestamp,
    // A result names its worker only with result_extended; the worker the store saw it on is the next best.
    hostname: meta.extended?.worker ?? task.worker ?? '',
    pid: 0,
    seq: sequence.take(),
    id: task.id,
    name: meta.extended?.name ?? task.name,
    queue: task.queue,
    retries: meta.extended?.retries ?? task.retries,
  };
  // The backend keeps no runtime: measured from the start the store saw, else unknown (0).
  const runtime = task.startedAt === null ? 0 : Math.max(0, timestamp - task.startedAt);
  switch (meta.status) {
    case 'SUCCESS':
      return { ...base, type: 'task-succeeded', result: pythonRepr(meta.result, 256), runtime };
    case 'FAILURE': {
      const error = { name: meta.exception?.type ?? 'Error', message: meta.exception?.message ?? '', ...(meta.traceback ? { stack: meta.traceback } : {}) };
      return { ...base, type: 'task-failed', runtime, error };
    }
    case 'REVOKED':
      return { ...base, type: 'task-revoked', terminated: false, expired: false };
    case 'STARTED':
      return { ...base, type: 'task-started' };
    default:
      return undefined;
  }
}

export type HeldKind = 'active' | 'reserved' | 'scheduled';

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * The events for one task a worker listed in `inspect <kind>` (Celery's raw
 * reply: celery/worker/request.py info(); `scheduled` nests it under
 * `request` beside `eta`): received for every kind, started too when active.
 * `retries` is the store's (Celery's info() has none), so a held task never
 * ranks below an attempt the store already recorded.
 */
export function eventsFromHeld(kind: HeldKind, raw: unknown, hostname: string, retries: number, sequence: EventSequence): LovageEvent[] {
  if (raw === null || typeof raw !== 'object') return [];
  const entry = raw as Record<string, unknown>;
  const request = (kind === 'scheduled' && entry.request !== null && typeof entry.request === 'object' ? entry.request : entry) as Record<string, unknown>;
  const id = text(request.id);
  if (id === undefined) return [];
  const delivery = (request.delivery_info !== null && typeof request.delivery_info === 'object' ? request.delivery_info : {}) as Record<string, unknown>;
  const started = typeof request.time_start === 'number' ? Math.round(request.time_start * 1_000) : undefined;
  const eta = kind === 'scheduled' && typeof entry.eta === 'string' ? Date.parse(entry.eta) : undefined;
  const header = { hostname, pid: typeof request.worker_pid === 'number' ? request.worker_pid : 0, id, name: text(request.name) ?? text(request.type) ?? '', queue: text(delivery.routing_key) ?? '', retries };
  const received: LovageEvent = {
    ...header,
    type: 'task-received',
    timestamp: started ?? Date.now(),
    seq: sequence.take(),
    args: JSON.stringify(argsRepr(request.args)),
    // Not a field of Lovage's events: task-merge.ts keeps it in the kwargs column, as for Celery's own task-received.
    kwargs: kwargsRepr(request.kwargs),
    eta: eta !== undefined && Number.isFinite(eta) ? eta : undefined,
    deliveries: delivery.redelivered === true ? 2 : 1,
  } as LovageEvent;
  if (kind !== 'active') return [received];
  return [received, { ...header, type: 'task-started', timestamp: started ?? Date.now(), seq: sequence.take() }];
}
