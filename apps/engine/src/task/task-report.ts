// What a running task reports about itself: `progress(fraction, meta?)`,
// `log(message, fields?)` and a pino-compatible `logger`. Both pools build the
// context's methods here, so the checks happen at the call site (a bad fraction
// or a meta that JSON cannot carry throws in the handler) and the throttling is
// the same; only where the report goes differs (an event on the async pool, a
// message to the parent on the threads pool).
import { InvalidProgressError } from '../errors.js';
import { toJsonValue } from './serialization.js';

export const TASK_LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type TaskLogLevel = (typeof TASK_LOG_LEVELS)[number];

/** One log line a task wrote. */
export interface TaskLogEntry {
  level: TaskLogLevel;
  message: string;
  /** Plain JSON data. */
  fields?: Record<string, unknown> | undefined;
}

/** One progress report: a fraction of 0..1 and optional JSON metadata. */
export interface TaskProgressEntry {
  progress: number;
  meta?: unknown;
}

/** Where a run's reports go. */
export interface TaskReportSink {
  progress(entry: TaskProgressEntry): void;
  log(entry: TaskLogEntry): void;
}

/**
 * A logger bound to the running task, with pino's call shapes: `info('text')`,
 * `info({ page: 3 }, 'text')`, `error(err)` or `error({ err }, 'text')`.
 */
export type TaskLogFn = (objOrMsg: unknown, msg?: string) => void;
export type TaskLogger = Record<TaskLogLevel, TaskLogFn> & { child(bindings: Record<string, unknown>): TaskLogger };

/** The context methods both pools give a running task. */
export interface TaskReportMethods {
  readonly progress: (fraction: number, meta?: unknown) => void;
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
  readonly logger: TaskLogger;
}

/** Longest message kept (characters); a longer one is cut with a marker. */
export const MAX_LOG_MESSAGE = 16_384;
/** Progress reports per task: at most one per this many ms (the last one is always sent). */
export const PROGRESS_INTERVAL_MS = 250;

export function checkProgress(fraction: unknown): number {
  if (typeof fraction !== 'number' || !Number.isFinite(fraction) || fraction < 0 || fraction > 1) throw new InvalidProgressError(fraction);
  return fraction;
}

function errorFields(err: Error): Record<string, unknown> {
  return { type: err.name, message: err.message, ...(err.stack === undefined ? {} : { stack: err.stack }) };
}

/** Fields as JSON data: Errors become { type, message, stack } (as pino's serializer writes them), the rest is checked like args. */
function checkFields(fields: Record<string, unknown>, path: string): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    plain[key] = value instanceof Error ? errorFields(value) : value;
  }
  return toJsonValue(plain, path) as Record<string, unknown>;
}

function cut(message: string): string {
  return message.length > MAX_LOG_MESSAGE ? `${message.slice(0, MAX_LOG_MESSAGE - 1)}…` : message;
}

/**
 * Holds progress reports to at most one per `intervalMs`: the first goes at
 * once, later ones inside the window replace each other and the newest goes
 * when the window ends, so a tight loop costs one report per window and the
 * final value always arrives. `flush()` sends the held one now (the run ended).
 */
export class ProgressThrottle {
  private lastSentAt = -Infinity;
  private pending: TaskProgressEntry | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: (entry: TaskProgressEntry) => void,
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  push(entry: TaskProgressEntry): void {
    const wait = this.lastSentAt + this.intervalMs - this.now();
    if (wait <= 0 && this.timer === undefined) {
      this.emit(entry);
      return;
    }
    this.pending = entry;
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), Math.max(0, wait));
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const entry = this.pending;
    this.pending = undefined;
    if (entry) this.emit(entry);
  }

  private emit(entry: TaskProgressEntry): void {
    this.lastSentAt = this.now();
    this.send(entry);
  }
}

/** The context methods for one run: progress through `throttle` (the caller flushes it when the run ends), log lines to `log`. */
export function taskReportMethods(throttle: ProgressThrottle, log: (entry: TaskLogEntry) => void): TaskReportMethods {
  const write = (level: TaskLogLevel, message: string, fields: Record<string, unknown> | undefined): void => {
    const checked = fields === undefined || Object.keys(fields).length === 0 ? undefined : checkFields(fields, 'fields');
    log({ level, message: cut(message), ...(checked === undefined ? {} : { fields: checked }) });
  };
  const loggerWith = (bindings: Record<string, unknown>): TaskLogger => {
    const at =
      (level: TaskLogLevel): TaskLogFn =>
      (objOrMsg, msg) => {
        if (typeof objOrMsg === 'string') return write(level, objOrMsg, { ...bindings });
        if (objOrMsg instanceof Error) return write(level, msg ?? objOrMsg.message, { ...bindings, err: objOrMsg });
        if (typeof objOrMsg === 'object' && objOrMsg !== null) {
          const obj = objOrMsg as Record<string, unknown>;
          const text = msg ?? (typeof obj.msg === 'string' ? obj.msg : '');
          const rest = { ...bindings, ...obj };
          delete rest.msg;
          return write(level, text, rest);
        }
        write(level, msg ?? String(objOrMsg), { ...bindings });
      };
    const logger = Object.fromEntries(TASK_LOG_LEVELS.map((level) => [level, at(level)])) as Record<TaskLogLevel, TaskLogFn>;
    return { ...logger, child: (more) => loggerWith({ ...bindings, ...more }) };
  };
  let logger: TaskLogger | undefined;
  return {
    progress: (fraction, meta) => {
      const progress = checkProgress(fraction);
      const entry: TaskProgressEntry = meta === undefined ? { progress } : { progress, meta: toJsonValue(meta, 'meta') };
      throttle.push(entry);
    },
    log: (message, fields) => {
      if (typeof message !== 'string') throw new TypeError('log(message, fields?): message must be a string');
      write('info', message, fields);
    },
    get logger() {
      logger ??= loggerWith({});
      return logger;
    },
  };
}
