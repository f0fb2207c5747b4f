// Schedule definitions: what users write in `beatSchedule`, the normalized JSON
// form the schedule store and the dashboard keep, and the pure functions beat
// runs on it (next run, runs to fire after downtime, preview).
import { ConfigError } from '../errors.js';
import { toMs, type Duration } from '../time/duration.js';
import { type Crontab, isCrontab, parseCrontab } from './crontab.js';
import { resolveTimeZone } from './timezone.js';

export type CatchUpPolicy = 'once' | 'skip' | 'all';

/** At most this many missed runs are fired by `catchUp: 'all'` (the most recent ones). */
export const CATCH_UP_ALL_LIMIT = 100;

/** Crontab runs counted one by one after a downtime before the count is estimated. */
const WALK_LIMIT = 2_000;

/** `catchUp: 'skip'` still fires a run that is at most this late (one beat tick can be late). */
export const SKIP_GRACE_MS = 60_000;

/**
 * What a schedule runs on: an interval (ms, or a Duration string such as '1h', '90s'),
 * a crontab (crontab({...}) or a five-field string such as '0 8 * * *'), or one instant.
 * A string with a space (or an '@daily'-style macro) is a crontab; any other is a duration.
 */
export type ScheduleSpec = number | string | Crontab | { clocked: Date | string };

/** One entry of `beatSchedule`, as users write it. */
export interface ScheduleDefinition {
  name?: string;
  task: string;
  schedule: ScheduleSpec;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  queue?: string;
  priority?: number;
  /** Each sent task expires this long after its due time. */
  expires?: Duration;
  enabled?: boolean;
  /** Run once, then disable (Celery's one_off). */
  oneOff?: boolean;
  startAt?: Date | string;
  endAt?: Date | string;
  description?: string;
  /** IANA zone for crontab schedules (default 'UTC'). */
  timezone?: string;
  catchUp?: CatchUpPolicy;
}

/** The normalized schedule: JSON-safe (instants as ISO strings, absent values as null). */
export type ResolvedScheduleKind =
  | { kind: 'interval'; everyMs: number }
  | { kind: 'crontab'; expression: string }
  | { kind: 'clocked'; at: string };

export interface ResolvedSchedule {
  name: string;
  task: string;
  schedule: ResolvedScheduleKind;
  args: unknown[];
  kwargs: Record<string, unknown> | null;
  queue: string | null;
  priority: number | null;
  expiresMs: number | null;
  enabled: boolean;
  oneOff: boolean;
  startAt: string | null;
  endAt: string | null;
  description: string | null;
  timezone: string;
  catchUp: CatchUpPolicy;
}

const KEYS = new Set([
  'name',
  'task',
  'schedule',
  'args',
  'kwargs',
  'queue',
  'priority',
  'expires',
  'expiresMs',
  'enabled',
  'oneOff',
  'startAt',
  'endAt',
  'description',
  'timezone',
  'catchUp',
]);
const SCHEDULE_KIND_KEYS = ['every', 'interval', 'crontab', 'cron', 'clocked'];
const CATCH_UP: readonly CatchUpPolicy[] = ['once', 'skip', 'all'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function instant(value: unknown, field: string): Date {
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
  if (!date || !Number.isFinite(date.getTime())) {
    throw new ConfigError(`${field} must be a Date or an ISO 8601 string, got ${JSON.stringify(value)}`);
  }
  return date;
}

function optionalString(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value === '')
    throw new ConfigError(`${field} must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

function optionalBoolean(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean')
    throw new ConfigError(`${field} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

/** Cron text is anything with a space or an '@' macro; other strings are durations ('90s'). */
function looksLikeCron(text: string): boolean {
  return /\s/.test(text.trim()) || text.trim().startsWith('@');
}

function resolveKind(spec: unknown, field: string): ResolvedScheduleKind {
  try {
    if (typeof spec === 'number' || (typeof spec === 'string' && !looksLikeCron(spec))) {
      const everyMs = toMs(spec, field);
      if (everyMs <= 0) throw new ConfigError(`${field}: an interval must be longer than 0ms`);
      return { kind: 'interval', everyMs };
    }
    if (typeof spec === 'string') return { kind: 'crontab', expression: parseCrontab(spec).toString() };
    if (isCrontab(spec)) return { kind: 'crontab', expression: spec.toString() };
    if (isRecord(spec)) {
      // The normalized form itself, as the store and the dashboard send it back.
      if (spec.kind === 'interval') return resolveKind(spec.everyMs, `${field}.everyMs`);
      if (spec.kind === 'crontab') return resolveKind(spec.expression, `${field}.expression`);
      if (spec.kind === 'clocked')
        return { kind: 'clocked', at: instant(spec.at, `${field}.at`).toISOString() };
      const given = SCHEDULE_KIND_KEYS.filter((key) => key in spec);
      if (given.length > 1) {
        throw new ConfigError(
          `${field}: give exactly one of interval, crontab or clocked, got ${given.join(' and ')}`,
        );
      }
      if ('clocked' in spec)
        return { kind: 'clocked', at: instant(spec.clocked, `${field}.clocked`).toISOString() };
      if ('every' in spec || 'interval' in spec) return resolveKind(spec.every ?? spec.interval, field);
      if ('crontab' in spec || 'cron' in spec) {
        const expression = spec.crontab ?? spec.cron;
        return isCrontab(expression)
          ? resolveKind(expression, field)
          : resolveKind(String(expression), field);
      }
    }
  } catch (error) {
    if (error instanceof ConfigError && !error.message.startsWith(field)) {
      throw new ConfigError(`${field}: ${error.message}`, { cause: error });
    }
    throw error;
  }
  throw new ConfigError(
    `${field} must be an interval ('1h', '90s' or ms), a crontab (crontab({...}) or '0 8 * * *') or { clocked: Date }, got ${JSON.stringify(spec)}`,
  );
}

/**
 * Validates a schedule definition and returns its normalized, JSON-safe form.
 * Errors are ConfigErrors naming the field: `beatSchedule.daily-report.timezone: ...`.
 * Accepts its own output, so the store and the dashboard can re-validate.
 */
export function resolveSchedule(name: string, input: unknown): ResolvedSchedule {
  const at = `beatSchedule.${name}`;
  if (typeof name !== 'string' || name.trim() === '')
    throw new ConfigError(`beatSchedule: a schedule name must be a non-empty string`);
  if (!isRecord(input))
    throw new ConfigError(`${at} must be an object with task and schedule, got ${JSON.stringify(input)}`);
  for (const key of Object.keys(input)) {
    if (SCHEDULE_KIND_KEYS.includes(key)) {
      throw new ConfigError(
        `${at}.${key}: put the interval, crontab or clocked time in \`schedule\` (one of them)`,
      );
    }
    if (!KEYS.has(key))
      throw new ConfigError(`${at}.${key}: unknown option (known: ${[...KEYS].join(', ')})`);
  }
  if (input.name !== undefined && input.name !== name) {
    throw new ConfigError(
      `${at}.name: ${JSON.stringify(input.name)} differs from the schedule's key ${JSON.stringify(name)}`,
    );
  }
  if (typeof input.task !== 'string' || input.task === '')
    throw new ConfigError(`${at}.task must be the registered task name, got ${JSON.stringify(input.task)}`);
  if (input.schedule === undefined) throw new ConfigError(`${at}.schedule is required`);
  const schedule = resolveKind(input.schedule, `${at}.schedule`);

  const timezone =
    input.timezone === undefined || input.timezone === null
      ? 'UTC'
      : resolveTimeZone(input.timezone as string, `${at}.timezone`);

  const args = input.args ?? [];
  if (!Array.isArray(args)) throw new ConfigError(`${at}.args must be an array, got ${JSON.stringify(args)}`);
  const kwargs = input.kwargs ?? null;
  if (kwargs !== null && !isRecord(kwargs))
    throw new ConfigError(`${at}.kwargs must be an object, got ${JSON.stringify(kwargs)}`);

  let priority: number | null = null;
  if (input.priority !== undefined && input.priority !== null) {
    if (
      typeof input.priority !== 'number' ||
      !Number.isInteger(input.priority) ||
      input.priority < 0 ||
      input.priority > 9
    ) {
      throw new ConfigError(`${at}.priority must be an integer 0-9, got ${JSON.stringify(input.priority)}`);
    }
    priority = input.priority;
  }

  let expiresMs: number | null = null;
  const expires = input.expires ?? input.expiresMs;
  if (expires !== undefined && expires !== null) {
    if (typeof expires !== 'number' && typeof expires !== 'string')
      throw new ConfigError(`${at}.expires must be a duration, got ${JSON.stringify(expires)}`);
    expiresMs = toMs(expires, `${at}.expires`);
  }

  const startAt =
    input.startAt === undefined || input.startAt === null ? null : instant(input.startAt, `${at}.startAt`);
  const endAt =
    input.endAt === undefined || input.endAt === null ? null : instant(input.endAt, `${at}.endAt`);
  if (startAt && endAt && endAt.getTime() <= startAt.getTime()) {
    throw new ConfigError(
      `${at}.endAt (${endAt.toISOString()}) must be after startAt (${startAt.toISOString()})`,
    );
  }
  if (schedule.kind === 'clocked') {
    const when = Date.parse(schedule.at);
    if ((startAt && when < startAt.getTime()) || (endAt && when > endAt.getTime())) {
      throw new ConfigError(
        `${at}.schedule: the clocked time ${schedule.at} is outside startAt/endAt, so it would never run`,
      );
    }
  }

  const catchUp = input.catchUp ?? 'once';
  if (!CATCH_UP.includes(catchUp as CatchUpPolicy)) {
    throw new ConfigError(
      `${at}.catchUp must be one of ${CATCH_UP.map((p) => `'${p}'`).join(', ')}, got ${JSON.stringify(catchUp)}`,
    );
  }

  return {
    name,
    task: input.task,
    schedule,
    args,
    kwargs,
    queue: optionalString(input.queue, `${at}.queue`),
    priority,
    expiresMs,
    enabled: optionalBoolean(input.enabled, `${at}.enabled`, true),
    oneOff: optionalBoolean(input.oneOff, `${at}.oneOff`, false),
    startAt: startAt?.toISOString() ?? null,
    endAt: endAt?.toISOString() ?? null,
    description: optionalString(input.description, `${at}.description`),
    timezone,
    catchUp: catchUp as CatchUpPolicy,
  };
}

/** Validates a whole `beatSchedule` object. */
export function resolveBeatSchedule(input: Record<string, unknown>): ResolvedSchedule[] {
  if (!isRecord(input)) throw new ConfigError(`beatSchedule must be an object of named schedules`);
  return Object.entries(input).map(([name, definition]) => resolveSchedule(name, definition));
}

// Parsed crontabs by expression: the store hands back strings on every tick.
const crontabs = new Map<string, Crontab>();

/** The Crontab of a crontab schedule (parsed once per expression). */
export function crontabOf(expression: string): Crontab {
  let parsed = crontabs.get(expression);
  if (!parsed) {
    parsed = parseCrontab(expression);
    if (crontabs.size > 1000) crontabs.clear();
    crontabs.set(expression, parsed);
  }
  return parsed;
}

/** The schedule's own next occurrence strictly after `afterMs`, ignoring startAt/endAt. */
function rawNext(schedule: ResolvedSchedule, afterMs: number): number | null {
  const spec = schedule.schedule;
  switch (spec.kind) {
    case 'clocked': {
      const when = Date.parse(spec.at);
      return when > afterMs ? when : null;
    }
    case 'interval': {
      // With startAt, runs sit on the grid startAt + k·every; without it, they
      // follow the last due time (`after`).
      if (schedule.startAt === null) return afterMs + spec.everyMs;
      const start = Date.parse(schedule.startAt);
      if (afterMs < start) return start;
      return start + (Math.floor((afterMs - start) / spec.everyMs) + 1) * spec.everyMs;
    }
    case 'crontab':
      return crontabOf(spec.expression).next(new Date(afterMs), schedule.timezone).getTime();
  }
}

/**
 * The first run strictly after `after`, within startAt/endAt; null when the
 * schedule has no more runs (a clocked time passed, or endAt reached).
 * `enabled` is not considered here: a disabled schedule still has a timetable.
 */
export function nextRunAfter(schedule: ResolvedSchedule, after: Date): Date | null {
  let afterMs = after.getTime();
  if (schedule.startAt !== null && schedule.schedule.kind !== 'interval') {
    // The first run may be at startAt itself.
    afterMs = Math.max(afterMs, Date.parse(schedule.startAt) - 1);
  }
  const next = rawNext(schedule, afterMs);
  if (next === null) return null;
  if (schedule.endAt !== null && next > Date.parse(schedule.endAt)) return null;
  return new Date(next);
}

/** The next `count` runs after `from`, for the dashboard's preview. */
export function nextRuns(schedule: ResolvedSchedule, from: Date, count = 5): Date[] {
  const runs: Date[] = [];
  let cursor = from;
  while (runs.length < count) {
    const next = nextRunAfter(schedule, cursor);
    if (next === null) break;
    runs.push(next);
    if (schedule.oneOff) break;
    cursor = next;
  }
  return runs;
}

export interface Occurrences {
  /** Due times to send a task for now, oldest first. */
  fire: Date[];
  /** Due times that passed and will not be sent (downtime, catch-up policy, expiry). */
  missed: number;
  /** False when a very long downtime made `missed` an estimate (see WALK_LIMIT). */
  missedExact: boolean;
  /** The latest due time up to now (fired or not): store it as the next `lastDue`. */
  lastDue: Date;
  /** The next due time after now, or null when the schedule is finished. */
  next: Date | null;
  /** Nothing more will run (oneOff fired, clocked fired, endAt passed): disable it. */
  finished: boolean;
}

/**
 * Which runs to send at `now`, given the due time of the last run handled
 * (`lastDue`: the last occurrence fired or skipped, or the moment beat first
 * saw the schedule). Occurrences in (lastDue, now] are due; the policy picks:
 * - 'once' (default, like Celery): one run, for the most recent due time;
 * - 'skip': only a run that is on time (at most SKIP_GRACE_MS late), none for downtime;
 * - 'all': every due time, oldest first, bounded to the latest CATCH_UP_ALL_LIMIT.
 * Due times whose task would already have expired (`expiresMs`) are not sent.
 * A disabled schedule fires nothing but still advances `lastDue`.
 */
export function occurrencesToFire(schedule: ResolvedSchedule, lastDue: Date, now: Date): Occurrences {
  const nowMs = now.getTime();
  const due: number[] = [];
  let total = 0;
  let exact = true;
  let cursor = lastDue;
  let next: Date | null;
  // Count every due time, but keep only the last CATCH_UP_ALL_LIMIT of them.
  for (;;) {
    next = nextRunAfter(schedule, cursor);
    if (next === null || next.getTime() > nowMs) break;
    total += 1;
    due.push(next.getTime());
    if (due.length > CATCH_UP_ALL_LIMIT) due.shift();
    cursor = next;
    if (schedule.oneOff) break;
    // A long downtime would mean a long walk (a month of a every-minute crontab
    // is ~40k steps). Intervals jump exactly to the last CATCH_UP_ALL_LIMIT runs;
    // other schedules, after WALK_LIMIT steps, jump to twice the span of the
    // last CATCH_UP_ALL_LIMIT runs before now and estimate what they stepped over.
    if (schedule.schedule.kind === 'interval') {
      const every = schedule.schedule.everyMs;
      const steps = Math.floor((nowMs - next.getTime()) / every);
      if (steps > CATCH_UP_ALL_LIMIT) {
        total += steps - CATCH_UP_ALL_LIMIT;
        cursor = new Date(next.getTime() + (steps - CATCH_UP_ALL_LIMIT) * every);
      }
    } else if (total === WALK_LIMIT) {
      const oldest = due[0] ?? next.getTime();
      const span = next.getTime() - oldest;
      const jumpTo = nowMs - 2 * span;
      if (span > 0 && jumpTo > next.getTime()) {
        total += Math.round(((jumpTo - next.getTime()) * (due.length - 1)) / span);
        exact = false;
        due.length = 0;
        cursor = new Date(jumpTo);
      }
    }
  }
  const latest = due[due.length - 1];
  const lastDueOut = latest === undefined ? lastDue : new Date(latest);
  if (schedule.oneOff && latest !== undefined) next = null;

  let fire: number[] = [];
  if (schedule.enabled && latest !== undefined) {
    if (schedule.catchUp === 'all') fire = due;
    else if (schedule.catchUp === 'once') fire = [latest];
    else if (nowMs - latest <= SKIP_GRACE_MS) fire = [latest];
  }
  if (schedule.expiresMs !== null) {
    const expiresMs = schedule.expiresMs;
    fire = fire.filter((when) => when + expiresMs > nowMs);
  }
  return {
    fire: fire.map((when) => new Date(when)),
    missed: total - fire.length,
    missedExact: exact,
    lastDue: lastDueOut,
    next,
    finished: next === null,
  };
}
