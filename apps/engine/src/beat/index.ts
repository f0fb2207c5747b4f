// Beat's schedule math: pure (Intl and plain TypeScript), shared with the dashboard.
export {
  Crontab,
  crontab,
  parseCrontab,
  isCrontab,
  type CrontabField,
  type CrontabFieldInput,
  type CrontabInput,
} from './crontab.js';
export {
  resolveSchedule,
  resolveBeatSchedule,
  nextRunAfter,
  nextRuns,
  occurrencesToFire,
  CATCH_UP_ALL_LIMIT,
  SKIP_GRACE_MS,
  type CatchUpPolicy,
  type ScheduleSpec,
  type ScheduleDefinition,
  type ResolvedSchedule,
  type ResolvedScheduleKind,
  type Occurrences,
} from './schedule.js';
export { describeSchedule, describeCrontab, describeInterval, describeClocked } from './describe.js';
export {
  resolveTimeZone,
  isTimeZone,
  listTimeZones,
  wallClockOf,
  instantOfLocal,
  offsetMsAt,
  type WallClock,
} from './timezone.js';
// The schedule store's types (types only: this module stays free of Node APIs for the dashboard).
export {
  type ScheduleStore,
  type ScheduleEntry,
  type ScheduleSource,
  type ScheduleWriteOptions,
  type ScheduleChangeAction,
  type ScheduleChangedEvent,
  type ScheduleFiredEvent,
  type BeatLeadershipEvent,
  type BeatEvent,
  type BeatEventSink,
  type ScheduleSyncReport,
  type ClaimPlan,
} from './schedule-store.js';
