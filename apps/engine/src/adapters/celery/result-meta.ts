// Celery's result meta: the JSON stored at `celery-task-meta-<id>` (SETEX) and
// PUBLISHed on the same name, in one MULTI, by the Redis result backend.
//
// As Celery 5.2.6 writes it (celery/backends/base.py _get_result_meta and
// BaseKeyValueStoreBackend._store_result), in this order:
//   status, result, traceback, children, date_done,
//   group_id and parent_id (only when set),
//   name, args, kwargs, worker, retries, queue (only with result_extended),
//   task_id
// `date_done` is `datetime.utcnow().isoformat()`: naive, no offset (5.6 writes
// "+00:00"), null until a ready state. For FAILURE, RETRY and REVOKED `result`
// is {exc_type, exc_message: [args…], exc_module}, or null (a 5.2.6 worker's
// `self.retry()` without `exc=` stores RETRY with result null). Python rebuilds
// the exception as `cls(*exc_message)`, taking the class from exc_module when
// that module is loaded and synthesizing one named exc_type otherwise, so
// {exc_type: "PaymentDeclined", exc_message: ["card 42"]} raises an exception
// whose type is named PaymentDeclined and whose str() is "card 42".
// A stored SUCCESS is final: 5.2.6 reads the key first and never overwrites it.
import { CeleryWireError } from './celery-wire-error.js';
import {
  decodeKombuValue,
  parseJson,
  stringifyKombuJson,
  type KombuDecodeOptions,
  type KombuDialect,
} from './kombu-json.js';
import { formatPythonDatetime, parsePythonDatetime } from './python-datetime.js';
import { pythonRepr } from './python-repr.js';
import {
  optionalInteger,
  optionalString,
  requireRecord,
  requireString,
  type WireRecord,
} from './wire-shape.js';

/** Celery's built-in states; a task may also store custom ones with update_state. */
export type CeleryState =
  'PENDING' | 'RECEIVED' | 'STARTED' | 'SUCCESS' | 'FAILURE' | 'RETRY' | 'REVOKED' | 'REJECTED' | 'IGNORED';

/** The states whose `result` is an exception (celery.states.EXCEPTION_STATES). */
export const EXCEPTION_STATES: ReadonlySet<string> = new Set(['FAILURE', 'RETRY', 'REVOKED']);
/** The states after which nothing changes (celery.states.READY_STATES); they carry date_done. */
export const READY_STATES: ReadonlySet<string> = new Set(['SUCCESS', 'FAILURE', 'REVOKED']);

export interface CeleryException {
  /** exc_type: the class name (qualified with parent classes for nested ones). */
  type: string;
  /** exc_module: where Python looks the class up; Lovage writes 'lovage'. */
  module: string | undefined;
  /** exc_message: the exception's args. */
  args: unknown[];
  /** What Python's str() of the rebuilt exception prints. */
  message: string;
}

export interface CeleryResultMeta {
  taskId: string;
  status: string;
  /** The return value for SUCCESS (and custom states' meta); undefined for exception states. */
  result: unknown;
  /** Set for FAILURE, RETRY and REVOKED when the result holds an exception. */
  exception: CeleryException | undefined;
  traceback: string | undefined;
  children: unknown[];
  dateDone: Date | undefined;
  groupId: string | undefined;
  parentId: string | undefined;
  /** Present only when the writer had result_extended on. */
  extended:
    | { name?: string; args?: unknown; kwargs?: unknown; worker?: string; retries?: number; queue?: string }
    | undefined;
}

function exceptionMessage(args: unknown[]): string {
  // str(exc) in Python: '' for no args, str(arg) for one, repr of the tuple for several.
  if (args.length === 0) return '';
  if (args.length === 1) return typeof args[0] === 'string' ? args[0] : pythonRepr(args[0]);
  return `(${args.map((a) => pythonRepr(a)).join(', ')})`;
}

function readException(value: unknown, path: string): CeleryException | undefined {
  if (value === null || value === undefined) return undefined;
  const rec = requireRecord(value, path);
  const type = requireString(rec.exc_type, `${path}.exc_type`, { nonEmpty: true });
  const raw = rec.exc_message;
  // Old Celery stored the message as a string; 4.x+ stores the args list.
  const args = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : [raw];
  return {
    type,
    module: optionalString(rec.exc_module, `${path}.exc_module`),
    args,
    message: exceptionMessage(args),
  };
}

function readExtended(meta: WireRecord): CeleryResultMeta['extended'] {
  if (!('name' in meta) && !('worker' in meta)) return undefined;
  return {
    name: optionalString(meta.name, 'name'),
    args: meta.args,
    kwargs: meta.kwargs,
    worker: optionalString(meta.worker, 'worker'),
    retries:
      meta.retries === null || meta.retries === undefined
        ? undefined
        : optionalInteger(meta.retries, 'retries', 0),
    queue: optionalString(meta.queue, 'queue'),
  };
}

/** Decodes the JSON stored at `celery-task-meta-<id>` (or PUBLISHed on that channel). */
export function decodeResultMeta(text: string | Buffer, options: KombuDecodeOptions = {}): CeleryResultMeta {
  const meta = requireRecord(parseJson(text.toString(), '(result meta)'), '(result meta)');
  const status = requireString(meta.status, 'status', { nonEmpty: true });
  const isException = EXCEPTION_STATES.has(status);
  const dateText = optionalString(meta.date_done, 'date_done');
  const dateDone = dateText === undefined ? undefined : parsePythonDatetime(dateText);
  if (dateText !== undefined && dateDone === undefined)
    throw new CeleryWireError(
      'BAD_FIELD',
      'date_done',
      `${JSON.stringify(dateText)} is not an ISO-8601 datetime`,
    );
  if (meta.children !== undefined && meta.children !== null && !Array.isArray(meta.children)) {
    throw new CeleryWireError('BAD_FIELD', 'children', 'expected a list');
  }
  return {
    taskId: requireString(meta.task_id, 'task_id', { nonEmpty: true }),
    status,
    result: isException ? undefined : decodeKombuValue(meta.result, 'result', options),
    exception: isException ? readException(meta.result, 'result') : undefined,
    traceback: optionalString(meta.traceback, 'traceback'),
    children: (meta.children as unknown[] | null | undefined) ?? [],
    dateDone,
    groupId: optionalString(meta.group_id, 'group_id'),
    parentId: optionalString(meta.parent_id, 'parent_id'),
    extended: readExtended(meta),
  };
}

export interface ResultMetaSpec {
  taskId: string;
  status: CeleryState | (string & {});
  /** The return value (SUCCESS) or custom meta; ignored when `error` is given. */
  result?: unknown;
  /** For FAILURE / RETRY / REVOKED: the error, stored the way Python can re-raise it. */
  error?: { name: string; message: string; module?: string; args?: unknown[] } | undefined;
  /** Text Python shows as the traceback; Lovage stores the JavaScript stack. */
  traceback?: string | undefined;
  children?: unknown[];
  /** Defaults to now for ready states, null otherwise. */
  dateDone?: Date | null;
  groupId?: string | undefined;
  parentId?: string | undefined;
  /** result_extended fields, written when given. */
  extended?:
    | {
        name: string;
        args: unknown[];
        kwargs: Record<string, unknown>;
        worker: string;
        retries: number;
        queue: string;
      }
    | undefined;
}

/**
 * Encodes result meta as Celery's Redis backend stores it. Values JSON cannot
 * carry throw SerializationError naming them (`result.rows[3]`).
 */
export function encodeResultMeta(spec: ResultMetaSpec, dialect: KombuDialect): string {
  requireString(spec.taskId, 'taskId', { nonEmpty: true });
  const result =
    spec.error !== undefined
      ? {
          exc_type: spec.error.name,
          exc_message: spec.error.args ?? [spec.error.message],
          exc_module: spec.error.module ?? 'lovage',
        }
      : (spec.result ?? null);
  const dateDone =
    spec.dateDone === undefined ? (READY_STATES.has(spec.status) ? new Date() : null) : spec.dateDone;
  const meta: WireRecord = {
    status: spec.status,
    result,
    traceback: spec.traceback ?? null,
    children: spec.children ?? [],
    date_done: dateDone === null ? null : formatPythonDatetime(dateDone),
  };
  if (spec.groupId !== undefined) meta.group_id = spec.groupId;
  if (spec.parentId !== undefined) meta.parent_id = spec.parentId;
  if (spec.extended !== undefined) {
    const { name, args, kwargs, worker, retries, queue } = spec.extended;
    Object.assign(meta, { name, args, kwargs, worker, retries, queue });
  }
  meta.task_id = spec.taskId;
  return stringifyKombuJson(meta, dialect, '');
}
