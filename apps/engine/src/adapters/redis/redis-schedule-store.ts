// The schedule store on Redis: one hash per entry, a sorted set of due times,
// a set of names and the leader lock, all under the {beat} hash tag. Each write
// is one Lua script (schedule-*.lua, beat-*.lua); reads are plain commands.
import {
  BaseScheduleStore,
  type ClaimPlan,
  type DeleteOutcome,
  type ScheduleFields,
  type ScheduleSource,
  type StoredSchedule,
  type WriteOutcome,
} from '../../beat/schedule-store.js';
import type { ControlBus, ControlMessage } from '../../control/control-bus.js';
import type { RedisClient } from './connection.js';
import { controlChannel, scheduleEntryKey, scheduleKeys, type ScheduleKeys } from './keys.js';
import { runScript, type ScriptName } from './scripts.js';

/** The message announcing an edit on the control channel. */
const SCHEDULE_CHANGED = 'schedule-changed';

type StoreScript = Extract<
  ScriptName,
  'schedule-save' | 'schedule-delete' | 'schedule-claim' | 'schedule-request-run' | 'beat-lock' | 'beat-unlock'
>;

const run = (client: RedisClient, name: StoreScript, keys: string[], argv: (string | number)[]): Promise<unknown> =>
  runScript(client, name, keys, argv);

const num = (value: string | undefined): number | null =>
  value === undefined || value === '' ? null : Number(value);
const str = (value: number | null): string => (value === null ? '' : String(value));

function parse(name: string, hash: Record<string, string>): StoredSchedule | null {
  if (!hash.version || !hash.def) return null;
  return {
    name,
    definition: hash.def,
    enabled: hash.enabled === '1',
    source: hash.source === 'code' ? 'code' : 'api',
    version: Number(hash.version),
    codeDefinition: hash.codeDef ? hash.codeDef : null,
    lastDueAt: num(hash.lastDue),
    nextRunAt: num(hash.next),
    lastRunAt: num(hash.lastRun),
    totalRunCount: Number(hash.runs ?? 0),
    runRequestedAt: num(hash.runReq),
    createdAt: Number(hash.created),
    updatedAt: Number(hash.updated),
    updatedBy: hash.updatedBy ? hash.updatedBy : null,
  };
}

export class RedisScheduleStore extends BaseScheduleStore {
  private readonly keys: ScheduleKeys;
  private readonly channel: string;

  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
    private readonly bus: Pick<ControlBus, 'subscribe'>,
  ) {
    super();
    this.keys = scheduleKeys(prefix);
    this.channel = controlChannel(prefix);
  }

  private entry(name: string): string {
    return scheduleEntryKey(this.prefix, name);
  }

  private announcement(name: string): string {
    return JSON.stringify({ type: SCHEDULE_CHANGED, name });
  }

  protected async readRecord(name: string): Promise<StoredSchedule | null> {
    return parse(name, await this.client.hgetall(this.entry(name)));
  }

  protected async readAll(): Promise<StoredSchedule[]> {
    const names = await this.client.smembers(this.keys.names);
    const hashes = await Promise.all(names.map((name) => this.client.hgetall(this.entry(name))));
    return names.map((name, i) => parse(name, hashes[i]!)).filter((r): r is StoredSchedule => r !== null);
  }

  protected dueNames(now: number, limit: number): Promise<string[]> {
    return this.client.zrangebyscore(this.keys.due, '-inf', now, 'LIMIT', 0, limit);
  }

  async nextDueAt(): Promise<number | null> {
    const first = await this.client.zrange(this.keys.due, '0', '0', 'WITHSCORES');
    return first[1] === undefined ? null : Number(first[1]);
  }

  protected async writeRecord(
    name: string,
    expectedVersion: number,
    expectedNextRunAt: number | null,
    fields: ScheduleFields,
  ): Promise<WriteOutcome> {
    const pairs: (string | number)[] = [
      'def',
      fields.definition,
      'enabled',
      fields.enabled ? '1' : '0',
      'source',
      fields.source,
      'codeDef',
      fields.codeDefinition ?? '',
      'lastDue',
      str(fields.lastDueAt),
      'next',
      str(fields.nextRunAt),
      'created',
      fields.createdAt,
      'updated',
      fields.updatedAt,
      'updatedBy',
      fields.updatedBy ?? '',
    ];
    const [status, version] = (await run(
      this.client,
      'schedule-save',
      [this.entry(name), this.keys.due, this.keys.names],
      [name, expectedVersion, str(expectedNextRunAt), this.channel, this.announcement(name), ...pairs],
    )) as [number, number];
    if (status === 1) return { status: 'ok', version: Number(version) };
    if (status === 2) return { status: 'moved' };
    return { status: 'conflict', version: Number(version) };
  }

  protected async deleteRecord(
    name: string,
    expectedVersion: number | null,
    requiredSource: ScheduleSource | null,
  ): Promise<DeleteOutcome> {
    const [status, version] = (await run(
      this.client,
      'schedule-delete',
      [this.entry(name), this.keys.due, this.keys.names],
      [name, expectedVersion ?? '', requiredSource ?? '', this.channel, this.announcement(name)],
    )) as [number, number | undefined];
    if (status === 1) return { status: 'ok' };
    if (status === 0) return { status: 'missing' };
    if (status === -2) return { status: 'source' };
    return { status: 'conflict', version: Number(version) };
  }

  protected async claimRecord(
    name: string,
    version: number,
    expected: number,
    plan: ClaimPlan,
  ): Promise<boolean> {
    const claimed = await run(
      this.client,
      'schedule-claim',
      [this.entry(name), this.keys.due],
      [
        name,
        plan.mode,
        version,
        expected,
        str(plan.lastDueAt ?? null),
        str(plan.nextRunAt ?? null),
        plan.fired,
        plan.firedAt,
        plan.finished ? '1' : '0',
        this.channel,
        this.announcement(name),
      ],
    );
    return Number(claimed) === 1;
  }

  protected async requestRun(name: string, at: number): Promise<boolean> {
    const done = await run(
      this.client,
      'schedule-request-run',
      [this.entry(name), this.keys.due],
      [name, at, this.channel, this.announcement(name)],
    );
    return Number(done) === 1;
  }

  async acquireLeadership(token: string, ttlMs: number): Promise<boolean> {
    return (
      Number(
        await run(this.client, 'beat-lock', [this.keys.lock], [token, Math.max(1, Math.round(ttlMs))]),
      ) === 1
    );
  }

  async releaseLeadership(token: string): Promise<boolean> {
    return Number(await run(this.client, 'beat-unlock', [this.keys.lock], [token])) === 1;
  }

  onChange(listener: (name: string) => void): Promise<() => Promise<void>> {
    return this.bus.subscribe((message: ControlMessage) => {
      if (message.type === SCHEDULE_CHANGED && typeof message.name === 'string') listener(message.name);
    });
  }
}
