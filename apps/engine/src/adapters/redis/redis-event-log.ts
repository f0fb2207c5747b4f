// The event log port on a Redis Stream (bounded with an approximate MAXLEN),
// read through consumer groups (XREADGROUP) or tailed (XREAD).
import type { EventLog, ReadGroupOptions, StreamEntry } from '../../events/event-log.js';
import { duplicateClient, type RedisClient } from './connection.js';
import type { ConnectionWatch } from './connection-watch.js';
import { eventsKey } from './keys.js';

export class RedisEventLog implements EventLog {
  private readonly readers = new Map<string, RedisClient>();
  private readonly key: string;

  constructor(
    private readonly client: RedisClient,
    prefix: string,
    private readonly watch: ConnectionWatch,
  ) {
    this.key = eventsKey(prefix);
  }

  close(): void {
    for (const c of this.readers.values()) c.disconnect();
    this.readers.clear();
  }

  /**
   * One plain XADD per entry, all in one round trip (ioredis writes each at
   * once). Each command is a string of its own, so only an event larger than
   * ENTRY_CHARS alone passes the 128 KiB past which V8 puts a string in its
   * slow large-object space (see events.ts).
   */
  async append(entries: string[], maxLen: number): Promise<void> {
    await Promise.all(entries.map((entry) => this.client.xadd(this.key, 'MAXLEN', '~', maxLen, '*', 'e', entry)));
  }

  /** A connection of its own for each blocking reader (XREADGROUP/XREAD BLOCK hold it). */
  private reader(name: string): RedisClient {
    let c = this.readers.get(name);
    if (!c) {
      c = duplicateClient(this.client, this.watch);
      this.readers.set(name, c);
    }
    return c;
  }

  async read(o: ReadGroupOptions): Promise<StreamEntry[]> {
    const client = this.reader(`group:${o.group}:${o.consumer}`);
    const read = async (): Promise<unknown> =>
      o.pendingAfter !== undefined
        ? client.xreadgroup('GROUP', o.group, o.consumer, 'COUNT', o.count, 'STREAMS', this.key, o.pendingAfter)
        : client.xreadgroup('GROUP', o.group, o.consumer, 'COUNT', o.count, 'BLOCK', Math.max(1, o.blockMs), 'STREAMS', this.key, '>');
    let reply: unknown;
    try {
      reply = await read();
    } catch (err) {
      if (!String(err).includes('NOGROUP')) throw err;
      await this.client.xgroup('CREATE', this.key, o.group, o.fromId ?? '$', 'MKSTREAM').catch((e: unknown) => {
        if (!String(e).includes('BUSYGROUP')) throw e;
      });
      reply = await read();
    }
    return parseStreamReply(reply);
  }

  async ack(group: string, ids: string[]): Promise<void> {
    if (ids.length > 0) await this.client.xack(this.key, group, ...ids);
  }

  async tail(afterId: string, count: number, blockMs: number): Promise<StreamEntry[]> {
    const reply = await this.reader('tail').xread('COUNT', count, 'BLOCK', Math.max(1, blockMs), 'STREAMS', this.key, afterId);
    return parseStreamReply(reply);
  }

  async lastId(): Promise<string> {
    const last = (await this.client.xrevrange(this.key, '+', '-', 'COUNT', 1)) as [string, string[]][];
    return last[0]?.[0] ?? '0-0';
  }
}

/** XREAD / XREADGROUP reply → entries (events are stored in the single field 'e'). */
function parseStreamReply(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  const out: StreamEntry[] = [];
  for (const [, entries] of reply as [string, [string, string[] | null][]][]) {
    for (const [id, fields] of entries) {
      // A pending entry trimmed away by MAXLEN comes back with no fields: acknowledge-only.
      const i = fields ? fields.indexOf('e') : -1;
      out.push({ id, event: i >= 0 ? fields![i + 1]! : '' });
    }
  }
  return out;
}
