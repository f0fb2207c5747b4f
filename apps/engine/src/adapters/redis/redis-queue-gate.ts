// Pause flags and concurrency slots on Redis for an amqp:// broker (see
// ../queue-gate.ts). Each queue's keys share one hash tag, so taking slots is
// one script in one slot, on Cluster too.
import type { GateState, QueueGate } from '../queue-gate.js';
import type { RedisClient } from './connection.js';
import { gateKeys } from './keys.js';
import { runScript } from './scripts.js';

export class RedisQueueGate implements QueueGate {
  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}

  /** Three reads per queue, all in one round trip per server. */
  states(queues: string[], now: number): Promise<GateState[]> {
    return Promise.all(
      queues.map(async (queue) => {
        const k = gateKeys(this.prefix, queue);
        const [paused, limit, held] = await Promise.all([
          this.client.exists(k.paused),
          this.client.get(k.limit),
          this.client.zcount(k.slots, `(${now}`, '+inf'),
        ]);
        return { paused: paused === 1, limit: limit === null ? null : Number(limit), held };
      }),
    );
  }

  async setPaused(queue: string, paused: boolean): Promise<void> {
    const k = gateKeys(this.prefix, queue);
    await (paused ? this.client.set(k.paused, '1') : this.client.del(k.paused));
  }

  async setLimit(queue: string, limit: number | null): Promise<void> {
    const k = gateKeys(this.prefix, queue);
    await (limit === null ? this.client.del(k.limit) : this.client.set(k.limit, String(limit)));
  }

  async takeSlots(queue: string, tokens: string[], until: number, now: number): Promise<number> {
    if (tokens.length === 0) return 0;
    const k = gateKeys(this.prefix, queue);
    return Number(await runScript(this.client, 'take-slots', [k.limit, k.slots], [now, until, ...tokens]));
  }

  async holdSlots(queue: string, slots: { token: string; until: number }[]): Promise<void> {
    if (slots.length === 0) return;
    await this.client.zadd(gateKeys(this.prefix, queue).slots, ...slots.flatMap((s) => [s.until, s.token]));
  }

  async renewSlots(queue: string, tokens: string[], until: number): Promise<void> {
    if (tokens.length === 0) return;
    await this.client.zadd(gateKeys(this.prefix, queue).slots, 'XX', ...tokens.flatMap((t) => [until, t]));
  }

  async releaseSlots(queue: string, tokens: string[]): Promise<void> {
    if (tokens.length === 0) return;
    await this.client.zrem(gateKeys(this.prefix, queue).slots, ...tokens);
  }
}
