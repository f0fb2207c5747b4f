// Results as JSON strings with a TTL, plus a pub/sub channel per task that
// announces ready states. Waiters SUBSCRIBE first and GET second: a result
// stored between the two is caught by the GET, one stored after by the message,
// so no window exists where a result is missed, and nothing polls.
import { Cluster } from 'ioredis';
import type { ResultBackend } from '../../result/backend.js';
import { READY_STATES, type ResultRecord } from '../../result/record.js';
import { duplicateClient, type RedisClient } from './connection.js';
import type { ConnectionWatch } from './connection-watch.js';
import { resultChannel, resultKey } from './keys.js';
import { runScript } from './scripts.js';

export class RedisResultBackend implements ResultBackend {
  private subscriber: RedisClient | undefined;
  private readonly waiters = new Map<string, Set<(r: ResultRecord) => void>>();
  /** Records stored in this event-loop turn, written together by one store-results call (single-server Redis only). */
  private batch: { keys: string[]; argv: (string | number)[]; promise: Promise<void> } | undefined;
  private readonly batched: boolean;

  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
    private readonly watch: ConnectionWatch,
  ) {
    // On Cluster the records' keys live in different slots, which one script may not touch.
    this.batched = !(this.client instanceof Cluster);
  }

  /** Stops listening; the adapter closes the shared connection. */
  close(): Promise<void> {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
    return Promise.resolve();
  }

  async store(record: ResultRecord, ttlMs: number): Promise<void> {
    const json = JSON.stringify(record);
    if (this.batched) return this.storeBatched(record, json, ttlMs);
    // Plain commands (not an explicit pipeline) so auto-pipelining merges the
    // writes of many tasks finishing in the same turn into one round trip.
    const set = this.client.set(resultKey(this.prefix, record.id), json, 'PX', Math.max(1, Math.round(ttlMs)));
    if (READY_STATES.has(record.state)) await Promise.all([set, this.client.publish(resultChannel(this.prefix, record.id), json)]);
    else await set;
  }

  /**
   * The records of one event-loop turn (a busy worker settles many tasks per
   * turn) go out as one script call: one command and one reply for the whole
   * batch instead of a SET and a PUBLISH per record, each record's JSON sent once.
   */
  private storeBatched(record: ResultRecord, json: string, ttlMs: number): Promise<void> {
    let batch = this.batch;
    if (!batch) {
      const keys: string[] = [];
      const argv: (string | number)[] = [];
      const promise = new Promise<void>((resolve, reject) => {
        setImmediate(() => {
          if (this.batch === batch) this.batch = undefined;
          runScript(this.client, 'store-results', keys, argv).then(() => resolve(), reject);
        });
      });
      batch = { keys, argv, promise };
      this.batch = batch;
    }
    batch.keys.push(resultKey(this.prefix, record.id));
    batch.argv.push(Math.max(1, Math.round(ttlMs)), READY_STATES.has(record.state) ? resultChannel(this.prefix, record.id) : '', json);
    // Bounded, so one call never holds Redis for long: the next record starts a new batch.
    if (batch.keys.length >= 500) this.batch = undefined;
    return batch.promise;
  }

  /** One script, so a record written between a read and a write here is never overwritten. */
  async storeUnlessReady(record: ResultRecord, ttlMs: number): Promise<boolean> {
    const channel = READY_STATES.has(record.state) ? resultChannel(this.prefix, record.id) : '';
    const argv = ['state', Math.max(1, Math.round(ttlMs)), channel, JSON.stringify(record)];
    return Number(await runScript(this.client, 'store-unless-ready', [resultKey(this.prefix, record.id)], argv)) === 1;
  }

  async get(id: string): Promise<ResultRecord | undefined> {
    const raw = await this.client.get(resultKey(this.prefix, id));
    return raw === null ? undefined : (JSON.parse(raw) as ResultRecord);
  }

  private async subscriberClient(): Promise<RedisClient> {
    if (!this.subscriber) {
      const sub = duplicateClient(this.client, this.watch);
      this.subscriber = sub;
      sub.on('message', (channel: string, raw: string) => {
        const id = channel.slice(resultChannel(this.prefix, '').length);
        const set = this.waiters.get(id);
        if (!set) return;
        const record = JSON.parse(raw) as ResultRecord;
        for (const w of [...set]) w(record);
      });
      await new Promise<void>((resolve) => (sub.status === 'ready' ? resolve() : sub.once('ready', () => resolve())));
      return sub;
    }
    return this.subscriber;
  }

  async waitForReady(id: string, timeoutMs: number): Promise<ResultRecord | undefined> {
    const sub = await this.subscriberClient();
    const channel = resultChannel(this.prefix, id);
    let set = this.waiters.get(id);
    const first = !set;
    if (!set) {
      set = new Set();
      this.waiters.set(id, set);
    }
    const waiters = set;
    let resolveFn!: (r: ResultRecord | undefined) => void;
    const promise = new Promise<ResultRecord | undefined>((resolve) => (resolveFn = resolve));
    const listener = (r: ResultRecord): void => resolveFn(r);
    waiters.add(listener);
    const timer = setTimeout(() => resolveFn(undefined), timeoutMs);
    try {
      if (first) await sub.subscribe(channel);
      const current = await this.get(id);
      if (current && READY_STATES.has(current.state)) return current;
      return await promise;
    } finally {
      clearTimeout(timer);
      waiters.delete(listener);
      if (waiters.size === 0 && this.waiters.get(id) === waiters) {
        this.waiters.delete(id);
        await sub.unsubscribe(channel).catch(() => undefined);
      }
    }
  }

  async forget(id: string): Promise<void> {
    await this.client.del(resultKey(this.prefix, id));
  }
}
