// The public API of @lovage/engine. Anything not exported here is internal.
export {
  LovageError,
  UnsupportedByAdapterError,
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
  ChordError,
  InvalidProgressError,
} from './errors.js';
export { toMs, formatMs, type Duration, type DurationUnit } from './time/duration.js';
export { toBytes, type ByteSize, type ByteUnit } from './app/byte-size.js';
export { Lovage } from './app/lovage.js';
export type { LovageOptions, ResolvedConfig } from './app/config.js';
export type { Logger, LogLevel } from './app/logger.js';
export { Task, type TaskOptions, type ApplyOptions, type TaskHandler, type ErrorClass } from './task/task.js';
export { currentTask, type TaskContext, type RetryOptions } from './task/context.js';
export { TASK_LOG_LEVELS, type TaskLogLevel, type TaskLogger, type TaskLogFn } from './task/task-report.js';
export type { TaskMessage } from './task/message.js';
export { AsyncResult } from './result/async-result.js';
export {
  chain,
  group,
  chord,
  Signature,
  Chain,
  Group,
  Chord,
  type CanvasNode,
  type CanvasJSON,
  type TaskSignatureJSON,
  type ChainJSON,
  type GroupJSON,
  type ChordJSON,
  type SignatureOptions,
  type SetOptions,
} from './canvas/signature.js';
export { GroupResult, type MemberResult } from './canvas/group-result.js';
export { Workflows } from './canvas/workflows.js';
export type { WorkflowStore, ChordJoinRef, OpenChord, JoinReply, MemberOutcome, WorkflowMember } from './canvas/workflow-store.js';
export type { ResultRecord, AttemptRecord, RemoteError } from './result/record.js';
export {
  TASK_STATES,
  READY_STATES,
  STATE_PRECEDENCE,
  ATTEMPT_OUTCOMES,
  OUTCOME_PRECEDENCE,
  TASK_EVENT_TYPES,
  TASK_REPORT_EVENT_TYPES,
  WORKER_EVENT_TYPES,
  BEAT_EVENT_TYPES,
  stateOfEvent,
  type TaskState,
  type AttemptOutcome,
  type TaskEventType,
  type TaskReportEventType,
} from './result/task-model.js';
export type { ResultBackend } from './result/backend.js';
export { Worker, type WorkerOptions, type WorkerHost } from './worker/worker.js';
export {
  Control,
  Inspector,
  INSPECT_METHODS,
  type ControlOptions,
  type ControlCommand,
  type ControlOk,
  type Replies,
  type TaskInfo,
  type WorkerStats,
  type InspectReplies,
  type InspectWhat,
  type WorkerStatus,
} from './control/control.js';
export { Queues, type QueueInfo, type DeadLetterInfo, type BulkOptions } from './control/queues.js';
export {
  Events,
  EventProducer,
  type LovageEvent,
  type LovageEventType,
  type EventHeader,
  type TaskEventFields,
  type EventError,
  type EventBatch,
  type SubscribeOptions,
  type TailOptions,
  type WorkerHeartbeat,
  type TaskSentEvent,
  type TaskReceivedEvent,
  type TaskStartedEvent,
  type TaskSucceededEvent,
  type TaskFailedEvent,
  type TaskRetriedEvent,
  type TaskRevokedEvent,
  type TaskRejectedEvent,
  type TaskProgressEvent,
  type TaskLogEvent,
  type WorkerEvent,
  type ScheduleEvent,
} from './events/events.js';
// The ports (each owned by the folder that uses it) and the adapter bundle that implements them.
export type {
  Broker,
  OutgoingMessage,
  Delivery,
  ReserveResult,
  Settlement,
  DeadLetter,
  QueueStats,
} from './worker/broker.js';
export type { EventLog, StreamEntry, ReadGroupOptions } from './events/event-log.js';
export type { ControlBus, ControlMessage, ControlReplyEnvelope } from './control/control-bus.js';
export type { WorkerRegistry, WorkerRecord } from './control/worker-registry.js';
export type { Adapter, Ports, PortName } from './adapters/adapter.js';
export { createAdapter } from './adapters/create-adapter.js';
export * from './beat/index.js';
export { Beat, type BeatOptions } from './beat/beat.js';
export { Schedules } from './beat/schedules.js';
