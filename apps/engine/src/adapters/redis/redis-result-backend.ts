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

/**
 * Characters of records' JSON per store-results call: one call's command stays
 * under the 128 KiB V8 keeps out of its slow large-object space (see
 * ENTRY_CHARS in events.ts), and never holds Redis for long.
 */
const STORE_CHUNK_CHARS = 32_000;

export class RedisResultBackend implements ResultBackend {
  private subscriber: RedisClient | undefined;
  private readonly waiters = new Map<string, Set<(r: ResultRecord) => void>>();
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

  store(record: ResultRecord, ttlMs: number): Promise<void> {
    return this.storeMany([record], ttlMs);
  }

  /**
   * One script call per 32,000 characters of records (store-results-n.lua):
   * one command and one reply instead of a SET and a PUBLISH per record. The
   * records' JSON goes as one Buffer argument: ioredis joins the string
   * commands of one tick into one string, which for a busy worker's turn would
   * pass V8's large-object bound. The calls go out in order on one connection,
   * so a later record for the same id still wins.
   */
  async storeMany(records: readonly ResultRecord[], ttlMs: number): Promise<void> {
    const px = Math.max(1, Math.round(ttlMs));
    if (!this.batched) {
      await Promise.all(records.map((record) => this.storeOne(record, px)));
      return;
    }
    const calls: Promise<unknown>[] = [];
    let keys: string[] = [];
    let ready = '';
    let texts: string[] = [];
    let chars = 0;
    const send = (): void => {
      calls.push(runScript(this.client, 'store-results', keys, [px, ready, Buffer.from(texts.join('\n'))]));
      keys = [];
      ready = '';
      texts = [];
      chars = 0;
    };
    for (const record of records) {
      const text = JSON.stringify(record);
      if (chars + text.length > STORE_CHUNK_CHARS && texts.length > 0) send();
      keys.push(resultKey(this.prefix, record.id));
      ready += READY_STATES.has(record.state) ? '1' : '0';
      texts.push(text);
      chars += text.length + 1;
    }
    if (texts.length > 0) send();
    await Promise.all(calls);
  }

  /**
   * On Cluster: plain commands (not an explicit pipeline, which must stay in
   * one slot); the writes of many records still share one round trip per node.
   */
  private async storeOne(record: ResultRecord, px: number): Promise<void> {
    const json = JSON.stringify(record);
    const set = this.client.set(resultKey(this.prefix, record.id), json, 'PX', px);
    if (READY_STATES.has(record.state)) await Promise.all([set, this.client.publish(resultChannel(this.prefix, record.id), json)]);
    else await set;
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
