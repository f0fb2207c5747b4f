// The memory adapter's event stream, worker registry, control bus and
// per-minute counters: the same semantics as the Redis Stream / sorted set /
// pub/sub / reply lists, held in memory and shared by every adapter on the
// same memory:// URL and prefix.
import { EventEmitter } from 'node:events';
import type { ControlMessage, ControlReplyEnvelope } from '../../control/control-bus.js';
import type { WorkerRecord } from '../../control/worker-registry.js';
import type { ReadGroupOptions, StreamEntry } from '../../events/event-log.js';

interface Group {
  /** Index into `entries` of the next never-delivered entry (absolute sequence). */
  next: number;
  /** Delivered, unacknowledged: id → consumer. */
  pending: Map<string, string>;
}

export class MemoryState {
  /** Stream entries; `base` is the absolute index of entries[0] (older ones were trimmed). */
  private entries: StreamEntry[] = [];
  private base = 0;
  private lastMs = 0;
  private lastN = 0;
  private readonly groups = new Map<string, Group>();
  private readonly workers = new Map<string, WorkerRecord>();
  private readonly replies = new Map<string, ControlReplyEnvelope[]>();
  readonly signals = new EventEmitter();
  /** Per-queue per-minute counters: enqueued ('in') and acknowledged ('out'). */
  readonly rates = new Map<string, { in: Record<number, number>; out: Record<number, number> }>();

  constructor() {
    this.signals.setMaxListeners(0);
  }

  private nextId(): string {
    const now = Date.now();
    if (now > this.lastMs) {
      this.lastMs = now;
      this.lastN = 0;
    } else this.lastN++;
    return `${this.lastMs}-${this.lastN}`;
  }

  append(events: string[], maxLen: number): void {
    for (const event of events) this.entries.push({ id: this.nextId(), event });
    const over = this.entries.length - maxLen;
    if (over > 0) {
      this.entries.splice(0, over);
      this.base += over;
    }
    if (events.length > 0) this.signals.emit('event');
  }

  private indexAfter(id: string): number {
    if (id === '$') return this.base + this.entries.length;
    const i = this.entries.findIndex((e) => compareIds(e.id, id) > 0);
    return i < 0 ? this.base + this.entries.length : this.base + i;
  }

  private waitForEvent(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.signals.off('event', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.signals.on('event', done);
    });
  }

  async readGroup(o: ReadGroupOptions): Promise<StreamEntry[]> {
    let group = this.groups.get(o.group);
    if (!group) {
      const from = o.fromId ?? '$';
      group = { next: from === '0' || from === '0-0' ? this.base : this.indexAfter(from), pending: new Map() };
      this.groups.set(o.group, group);
    }
    if (o.pendingAfter !== undefined) {
      const out: StreamEntry[] = [];
      for (const [id, consumer] of group.pending) {
        if (consumer !== o.consumer || compareIds(id, o.pendingAfter) <= 0) continue;
        out.push(this.entries.find((e) => e.id === id) ?? { id, event: '' });
        if (out.length >= o.count) break;
      }
      return out;
    }
    if (group.next >= this.base + this.entries.length) await this.waitForEvent(o.blockMs);
    const start = Math.max(group.next, this.base) - this.base;
    const batch = this.entries.slice(start, start + o.count);
    group.next = this.base + start + batch.length;
    for (const e of batch) group.pending.set(e.id, o.consumer);
    return batch;
  }

  ack(group: string, ids: string[]): void {
    const g = this.groups.get(group);
    for (const id of ids) g?.pending.delete(id);
  }

  async tail(afterId: string, count: number, blockMs: number): Promise<StreamEntry[]> {
    let start = this.indexAfter(afterId);
    if (start >= this.base + this.entries.length) {
      await this.waitForEvent(blockMs);
      if (afterId === '$') return [];
      start = this.indexAfter(afterId);
    }
    return this.entries.slice(start - this.base, start - this.base + count);
  }

  lastId(): string {
    return this.entries.at(-1)?.id ?? '0-0';
  }

  heartbeat(hostname: string, info: string, ttlMs: number): void {
    const now = Date.now();
    this.workers.set(hostname, { hostname, lastHeartbeat: now, expiresAt: now + ttlMs, info });
  }

  removeWorker(hostname: string): void {
    this.workers.delete(hostname);
  }

  listWorkers(): WorkerRecord[] {
    const now = Date.now();
    return [...this.workers.values()].filter((w) => w.expiresAt >= now).sort((a, b) => a.hostname.localeCompare(b.hostname));
  }

  publish(message: ControlMessage): void {
    // Delivered asynchronously, like pub/sub.
    const copy = JSON.parse(JSON.stringify(message)) as ControlMessage;
    setImmediate(() => this.signals.emit('control', copy));
  }

  subscribe(listener: (message: ControlMessage) => void): () => void {
    this.signals.on('control', listener);
    return () => this.signals.off('control', listener);
  }

  sendReply(replyTo: string, reply: ControlReplyEnvelope): void {
    const list = this.replies.get(replyTo) ?? [];
    list.push(JSON.parse(JSON.stringify(reply)) as ControlReplyEnvelope);
    this.replies.set(replyTo, list);
    this.signals.emit(`reply:${replyTo}`);
  }

  async collectReplies(replyTo: string, timeoutMs: number, expected?: number): Promise<ControlReplyEnvelope[]> {
    const deadline = Date.now() + timeoutMs;
    const out: ControlReplyEnvelope[] = [];
    for (;;) {
      const list = this.replies.get(replyTo) ?? [];
      out.push(...list.splice(0));
      if (expected !== undefined && out.length >= expected) break;
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.signals.off(`reply:${replyTo}`, done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.signals.on(`reply:${replyTo}`, done);
      });
    }
    this.replies.delete(replyTo);
    return out;
  }
}

function compareIds(a: string, b: string): number {
  const [am, an] = a.split('-').map(Number) as [number, number];
  const [bm, bn] = b.split('-').map(Number) as [number, number];
  return am - bm || (an ?? 0) - (bn ?? 0);
}
