// The event log port on a RabbitMQ stream (AMQP 0-9-1 consumers with
// x-stream-offset; no stream plugin needed). An entry's id is its stream
// offset + 1 ("<offset+1>-0"), so '0-0' is "before everything".
//
// A consumer group keeps its committed offset (the oldest entry it has read
// and not acknowledged, or the next one to read) in a queue of its own that
// holds one message, written on every ack: a reader that restarts resumes
// there, re-reading what it had not acknowledged, as it does on Redis.
// Pending entries live in the reading process, so a group has one reader
// process at a time (the gateway). Retention: `maxBytes` (else about 200 bytes
// per entry of `maxLen`), fixed when the stream is first declared, trimmed a
// segment at a time.
import type { Channel, ConsumeMessage } from 'amqplib';
import type { EventLog, ReadGroupOptions, StreamEntry } from '../../events/event-log.js';
import type { AmqpConnection } from './connection.js';
import { eventStream, groupQueue, groupRegistryQueue } from './topology.js';

const BYTES_PER_ENTRY = 200;
const MIN_STREAM_BYTES = 20_000;
const DEFAULT_MAX_LEN = 1_000_000;
/**
 * A read returns once this long passes without a new entry (after the first).
 * A chunk arrives as one burst, but a loaded machine can split it: a shorter
 * quiet would cut reads short there.
 */
const IDLE_MS = 100;
/**
 * A new stream consumer takes a moment to start (tens of ms when quiet, several
 * hundred on a loaded machine): a read waits at least this long for its first entry.
 */
const FIRST_ENTRY_MS = 1_000;

interface Group {
  /** The next offset to read. */
  next: number;
  /** Read, not yet acknowledged: id → entry and reader. */
  pending: Map<string, { entry: StreamEntry; consumer: string; offset: number }>;
}

/** Epoch ms an entry was appended: lastId() ignores entries appended after it was called. */
const APPENDED_AT = 'x-lovage-at';

const idOf = (offset: number): string => `${offset + 1}-0`;
const offsetOf = (id: string): number => Number(id.split('-')[0]) - 1;

export class AmqpEventLog implements EventLog {
  private declared: Promise<void> | undefined;
  private readonly groups = new Map<string, Promise<Group>>();

  constructor(
    private readonly connection: AmqpConnection,
    private readonly prefix: string,
  ) {}

  /** Declares the stream once; a stream declared earlier with other limits keeps them. */
  private declare(maxLen = DEFAULT_MAX_LEN, maxBytes?: number): Promise<void> {
    const bytes = Math.max(maxBytes ?? maxLen * BYTES_PER_ENTRY, MIN_STREAM_BYTES);
    const args = { 'x-queue-type': 'stream', 'x-max-length-bytes': bytes, 'x-stream-max-segment-size-bytes': Math.max(4_000, Math.floor(bytes / 5)) };
    this.declared ??= this.connection
      .withChannel(async (ch) => void (await ch.assertQueue(eventStream(this.prefix), { durable: true, arguments: args })))
      .catch(() => this.connection.withChannel(async (ch) => void (await ch.checkQueue(eventStream(this.prefix)))))
      .catch((err: unknown) => {
        this.declared = undefined;
        throw err;
      });
    return this.declared;
  }

  async append(entries: string[], maxLen: number, maxBytes?: number): Promise<void> {
    await this.declare(maxLen, maxBytes);
    const headers = { [APPENDED_AT]: Date.now() };
    await Promise.all(entries.map((e) => this.connection.publish('', eventStream(this.prefix), Buffer.from(e), { persistent: true, headers })));
  }

  /**
   * Entries from `from` on: a consumer at that offset, until `count` arrived,
   * `blockMs` passed, or (once one arrived) the stream went quiet.
   */
  private async readFrom(from: number | 'last', count: number, blockMs: number): Promise<{ offset: number; event: string; at: number }[]> {
    await this.declare();
    const link = await this.connection.link();
    const ch: Channel = await link.model.createChannel();
    ch.on('error', () => undefined);
    const out: { offset: number; event: string; at: number }[] = [];
    try {
      await ch.prefetch(Math.min(Math.max(count, 1), 65_535));
      await new Promise<void>((resolve) => {
        let idle: NodeJS.Timeout | undefined;
        const deadline = setTimeout(finish, Math.max(blockMs, FIRST_ENTRY_MS));
        function finish(): void {
          clearTimeout(deadline);
          if (idle) clearTimeout(idle);
          resolve();
        }
        void ch
          .consume(
            eventStream(this.prefix),
            (m: ConsumeMessage | null) => {
              if (!m) return finish();
              ch.ack(m);
              const offset = Number(m.properties.headers?.['x-stream-offset']);
              // A consumer starts at a chunk boundary: entries before `from` come first.
              if (from !== 'last' && offset < from) return;
              const at = Number(m.properties.headers?.[APPENDED_AT] ?? 0);
              if (out.length < count || from === 'last') out.push({ offset, event: m.content.toString(), at });
              if (from !== 'last' && out.length >= count) return finish();
              if (idle) clearTimeout(idle);
              idle = setTimeout(finish, IDLE_MS);
            },
            { noAck: false, arguments: { 'x-stream-offset': from } },
          )
          .catch(finish);
      });
    } finally {
      await ch.close().catch(() => undefined);
    }
    return from === 'last' ? out.slice(-count) : out;
  }

  async lastId(): Promise<string> {
    const asked = Date.now();
    // The stream's last chunk; entries appended while the consumer starts are not "last" yet.
    const last = await this.readFrom('last', 1_000_000, 0);
    const newest = last.filter((e) => e.at <= asked).at(-1);
    return newest ? idOf(newest.offset) : '0-0';
  }

  async tail(afterId: string, count: number, blockMs: number): Promise<StreamEntry[]> {
    const entries = await this.readFrom(offsetOf(afterId) + 1, count, blockMs);
    return entries.map((e) => ({ id: idOf(e.offset), event: e.event }));
  }

  /** This process's state of a group: resumed from its committed offset, or created at `fromId`. */
  private group(name: string, fromId: string | undefined): Promise<Group> {
    let g = this.groups.get(name);
    if (!g) {
      g = (async () => {
        const committed = await this.connection.withChannel(async (ch) => {
          await ch.assertQueue(groupQueue(this.prefix, name), { durable: true, arguments: { 'x-max-length': 1 } });
          const m = await ch.get(groupQueue(this.prefix, name), { noAck: false });
          return m === false ? undefined : Number(m.content.toString());
        });
        if (committed !== undefined) return { next: committed, pending: new Map() };
        const next = fromId === '0' ? 0 : fromId === undefined || fromId === '$' ? offsetOf(await this.lastId()) + 1 : offsetOf(fromId) + 1;
        const group: Group = { next, pending: new Map() };
        await this.commit(name, group);
        await this.connection.publish('', groupRegistryQueue(this.prefix), Buffer.from(name), { persistent: true });
        return group;
      })();
      g.catch(() => this.groups.delete(name));
      this.groups.set(name, g);
    }
    return g;
  }

  private async commit(name: string, group: Group): Promise<void> {
    let oldest = group.next;
    for (const p of group.pending.values()) oldest = Math.min(oldest, p.offset);
    await this.connection.withChannel(async (ch) => {
      await ch.assertQueue(groupRegistryQueue(this.prefix), { durable: true });
      await ch.assertQueue(groupQueue(this.prefix, name), { durable: true, arguments: { 'x-max-length': 1 } });
    });
    await this.connection.publish('', groupQueue(this.prefix, name), Buffer.from(String(oldest)), { persistent: true });
  }

  async read(o: ReadGroupOptions): Promise<StreamEntry[]> {
    const group = await this.group(o.group, o.fromId);
    if (o.pendingAfter !== undefined) {
      const after = o.pendingAfter === '0' ? -1 : offsetOf(o.pendingAfter);
      return [...group.pending.values()]
        .filter((p) => p.consumer === o.consumer && p.offset > after)
        .sort((a, b) => a.offset - b.offset)
        .slice(0, o.count)
        .map((p) => p.entry);
    }
    const entries = await this.readFrom(group.next, o.count, o.blockMs);
    const out: StreamEntry[] = [];
    for (const e of entries) {
      const entry = { id: idOf(e.offset), event: e.event };
      group.pending.set(entry.id, { entry, consumer: o.consumer, offset: e.offset });
      group.next = Math.max(group.next, e.offset + 1);
      out.push(entry);
    }
    return out;
  }

  async ack(group: string, ids: string[]): Promise<void> {
    const g = await this.groups.get(group);
    if (!g) return;
    for (const id of ids) g.pending.delete(id);
    await this.commit(group, g);
  }
}
