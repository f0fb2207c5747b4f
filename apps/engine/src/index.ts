// The public API of @lovage/engine. Anything not exported here is internal.
export {
  LovageError,
  ConfigError,
  SerializationError,
  NotRegisteredError,
  TaskFailedError,
  TaskRevokedError,
  TimeoutError,
  SoftTimeLimitExceeded,
  TimeLimitExceeded,
  Retry,
  Reject,
  NonRetriableError,
  MaxRetriesExceededError,
  ScheduleConflictError,
  ScheduleNotFoundError,
} from './errors.js';
export { toMs, formatMs, type Duration, type DurationUnit } from './time/duration.js';
export { Lovage } from './app/lovage.js';
export type { LovageOptions, ResolvedConfig } from './app/config.js';
export type { Logger, LogLevel } from './app/logger.js';
export { Task, type TaskOptions, type ApplyOptions, type TaskHandler, type ErrorClass } from './task/task.js';
export { currentTask, type TaskContext, type RetryOptions } from './task/context.js';
export type { TaskMessage } from './task/message.js';
export { AsyncResult } from './result/async-result.js';
export type { ResultRecord, AttemptRecord, TaskState, RemoteError } from './result/record.js';
export type { ResultBackend } from './result/backend.js';
export { Worker, type WorkerOptions } from './worker/worker.js';
export { Control } from './control/control.js';
export type {
  Transport,
  OutgoingMessage,
  Delivery,
  ReserveResult,
  DeadLetter,
  QueueStats,
  ControlMessage,
} from './transport/transport.js';
export { createTransport } from './transport/create-transport.js';
export * from './beat/index.js';
export { Beat, type BeatOptions } from './beat/beat.js';
export { Schedules } from './beat/schedules.js';
