// The worker registry port on Redis: a sorted set hostname → heartbeat expiry
// and a hash hostname → last heartbeat.
import type { WorkerRecord, WorkerRegistry } from '../../control/worker-registry.js';
import type { RedisClient } from './connection.js';
import { workersInfoKey, workersKey } from './keys.js';

export class RedisWorkerRegistry implements WorkerRegistry {
  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}

  async heartbeat(hostname: string, info: string, ttlMs: number): Promise<void> {
    const now = Date.now();
    await this.client
      .pipeline()
      .zadd(workersKey(this.prefix), now + ttlMs, hostname)
      .hset(workersInfoKey(this.prefix), hostname, JSON.stringify({ at: now, info }))
      .exec();
  }

  async remove(hostname: string): Promise<void> {
    await this.client.pipeline().zrem(workersKey(this.prefix), hostname).hdel(workersInfoKey(this.prefix), hostname).exec();
  }

  async list(): Promise<WorkerRecord[]> {
    const now = Date.now();
    const flat = await this.client.zrangebyscore(workersKey(this.prefix), now, '+inf', 'WITHSCORES');
    const out: WorkerRecord[] = [];
    if (flat.length > 0) {
      const names = flat.filter((_, i) => i % 2 === 0);
      const infos = await this.client.hmget(workersInfoKey(this.prefix), ...names);
      names.forEach((hostname, i) => {
        const raw = infos[i];
        if (!raw) return;
        const { at, info } = JSON.parse(raw) as { at: number; info: string };
        out.push({ hostname, lastHeartbeat: at, expiresAt: Number(flat[i * 2 + 1]), info });
      });
    }
    // Forget workers that expired long ago (an hour): their last heartbeat is of no use any more.
    const gone = await this.client.zrangebyscore(workersKey(this.prefix), '-inf', now - 3_600_000);
    if (gone.length > 0) await this.client.pipeline().zrem(workersKey(this.prefix), ...gone).hdel(workersInfoKey(this.prefix), ...gone).exec();
    return out.sort((a, b) => a.hostname.localeCompare(b.hostname));
  }
}
