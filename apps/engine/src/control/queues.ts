// `app.queues`: what the broker page shows. Counts per queue, the age of the
// message at the head, enqueue/dequeue rates from per-minute counters the
// enqueue and ack scripts keep, and the dead-letter list (inspect, requeue,
// drop). Bulk operations go in chunks so a caller can show progress.
import { ConfigError } from '../errors.js';
import type { Broker, DeadLetter } from '../worker/broker.js';

export interface QueueInfo {
  name: string;
  ready: number;
  delayed: number;
  /** Leased to a worker (running or prefetched). */
  reserved: number;
  dead: number;
  /** Paused: takes messages, hands none out until resumed. */
  paused: boolean;
  /** Global concurrency limit: at most this many of its tasks leased (running or prefetched) at once across workers; null when unlimited. */
  concurrency: number | null;
  /** Age in ms of the message at the head of the ready queue (next to be delivered), or null when empty. */
  oldestAgeMs: number | null;
  /** Messages enqueued in the last full minute and the current one, per minute (average of the two). */
  enqueuedPerMinute: number;
  /** Messages acknowledged per minute, same window. */
  dequeuedPerMinute: number;
  /** Per-minute counters for the last hour: epoch minute → count. */
  history: { enqueued: Record<number, number>; dequeued: Record<number, number> };
}

export interface DeadLetterInfo extends DeadLetter {
  /** Task name, when the body is a readable task message. */
  task?: string | undefined;
}

export interface BulkOptions {
  /** Called after each chunk with (done, total). */
  onProgress?: ((done: number, total: number) => void) | undefined;
}

const CHUNK = 500;

function perMinute(counters: Record<number, number>): number {
  const now = Math.floor(Date.now() / 60_000);
  const last = counters[now - 1] ?? 0;
  const current = counters[now] ?? 0;
  // The current minute is partial: weigh it by how much of it has passed.
  const fraction = (Date.now() % 60_000) / 60_000;
  return Math.round((last + current) / (1 + fraction));
}

export class Queues {
  constructor(private readonly broker: () => Broker) {}

  /** Every queue the broker has seen, with its stats. */
  async list(): Promise<QueueInfo[]> {
    const t = this.broker();
    const names = await t.listQueues();
    return Promise.all(names.map((n) => this.stats(n)));
  }

  async stats(name: string): Promise<QueueInfo> {
    const t = this.broker();
    const s = await t.queueStats(name);
    let oldestAgeMs: number | null = null;
    if (s.headBody) {
      try {
        const sentAt = (JSON.parse(s.headBody) as { sentAt?: unknown }).sentAt;
        if (typeof sentAt === 'number') oldestAgeMs = Math.max(0, Date.now() - sentAt);
      } catch {
        // A body that is not a task message has no age we can tell.
      }
    }
    const enqueued = s.enqueuedByMinute ?? {};
    const dequeued = s.dequeuedByMinute ?? {};
    return {
      name,
      ready: s.ready,
      delayed: s.delayed,
      reserved: s.leased,
      dead: s.dead,
      paused: s.paused ?? false,
      concurrency: s.concurrency ?? null,
      oldestAgeMs,
      enqueuedPerMinute: perMinute(enqueued),
      dequeuedPerMinute: perMinute(dequeued),
      history: { enqueued, dequeued },
    };
  }

  /** The newest `limit` dead letters of a queue (default 100), oldest first. */
  async deadLetters(name: string, limit = 100): Promise<DeadLetterInfo[]> {
    const t = this.broker();
    return (await t.deadLetters(name, limit)).map((d) => {
      let task: string | undefined;
      try {
        const parsed = JSON.parse(d.body) as { task?: unknown };
        if (typeof parsed.task === 'string') task = parsed.task;
      } catch {
        // unreadable body: that is often why it was dead-lettered
      }
      return { ...d, task };
    });
  }

  /** Puts dead letters back in the queue: the given ids, or all of them. Returns how many moved. */
  requeueDead(name: string, ids?: string[], options: BulkOptions = {}): Promise<number> {
    return this.bulk(name, ids, options, (t, chunk, limit) => t.requeueDead(name, chunk, limit));
  }

  /** Deletes dead letters: the given ids, or all of them. Returns how many were deleted. */
  dropDead(name: string, ids?: string[], options: BulkOptions = {}): Promise<number> {
    return this.bulk(name, ids, options, (t, chunk, limit) => t.dropDead(name, chunk, limit));
  }

  /** Deletes every ready and delayed message of a queue (leased ones finish). Returns how many. */
  async purge(name: string): Promise<number> {
    return this.broker().purge(name);
  }

  /**
   * Stops workers from starting messages of a queue: within a second every
   * worker's next reserve finds it paused. Messages already leased run to the
   * end; new messages still queue up. The flag lives in the broker.
   */
  async pause(name: string): Promise<void> {
    await this.broker().setPaused(name, true);
  }

  /** Lets workers take the queue's messages again, waking idle ones at once. */
  async resume(name: string): Promise<void> {
    await this.broker().setPaused(name, false);
  }

  /**
   * Lets at most `limit` tasks of a queue run at once across every worker,
   * or any number with `null`. Enforced by the broker at reserve, in the same
   * step as the pop, so it holds for workers started anywhere; a slot frees
   * when its task is acknowledged, retried, dead-lettered or its lease
   * expires. Takes effect at once: raising it wakes idle workers, lowering it
   * lets running tasks finish. `0` is refused: pause the queue instead.
   */
  async setConcurrency(name: string, limit: number | null): Promise<void> {
    if (limit !== null && (!Number.isSafeInteger(limit) || limit < 1)) {
      throw new ConfigError(`concurrency: must be a whole number of at least 1, or null for no limit (got ${String(limit)}); to stop a queue, pause it`);
    }
    await this.broker().setConcurrency(name, limit);
  }

  /** Pauses every queue the broker has seen. Returns their names. */
  async pauseAll(): Promise<string[]> {
    return this.setAll(true);
  }

  /** Resumes every queue the broker has seen. Returns their names. */
  async resumeAll(): Promise<string[]> {
    return this.setAll(false);
  }

  private async setAll(paused: boolean): Promise<string[]> {
    const t = this.broker();
    const names = await t.listQueues();
    await Promise.all(names.map((n) => t.setPaused(n, paused)));
    return names;
  }

  private async bulk(
    name: string,
    ids: string[] | undefined,
    options: BulkOptions,
    step: (t: Broker, chunk: string[] | undefined, limit: number) => Promise<number>,
  ): Promise<number> {
    const t = this.broker();
    let done = 0;
    if (ids) {
      for (let i = 0; i < ids.length; i += CHUNK) {
        done += await step(t, ids.slice(i, i + CHUNK), CHUNK);
        options.onProgress?.(Math.min(i + CHUNK, ids.length), ids.length);
      }
      return done;
    }
    const total = (await t.queueStats(name)).dead;
    for (;;) {
      const n = await step(t, undefined, CHUNK);
      done += n;
      options.onProgress?.(Math.min(done, total), Math.max(total, done));
      if (n < CHUNK) return done;
    }
  }
}
