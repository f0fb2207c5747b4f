// A Redis restart under load, on a private server (its own port and AOF file):
// workers and producers reconnect by themselves, nothing is lost or run twice,
// and each process says so in one warning and one info line instead of a stack
// trace per failed reconnect attempt.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '@lovage/test-support/private-redis';
import { Lovage, type Logger } from '../../src/index.js';
import { until } from '../support.js';
import { killAll, spawnWorker } from './child.js';

/** A logger that keeps the messages, for assertions on what the producer logged. */
function recordingLogger(): Logger & { messages: string[] } {
  const messages: string[] = [];
  const keep = (_: object, msg?: string): void => void (msg && messages.push(msg));
  return { messages, debug() {}, info: keep, warn: keep, error: keep };
}

const count = (lines: string[], text: string): number => lines.filter((line) => line.includes(text)).length;

describe('Redis restart under load', () => {
  let redis: PrivateRedis | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    killAll();
    for (const c of cleanups.splice(0)) await c();
    await redis?.destroy();
  });

  it('completes every task exactly once and logs one warning and one recovery per role, never an unhandled error', async () => {
    redis = await startPrivateRedis();
    const prefix = 'restart:';
    const logger = recordingLogger();
    const app = new Lovage({ broker: redis.url, prefix, logger });
    const client = new Redis(redis.url);
    client.on('error', () => undefined); // this assertion client reconnects too
    cleanups.push(async () => {
      await app.close();
      client.disconnect();
    });
    const mark = app.task('fault.mark', (_n: number) => 0);

    const worker = spawnWorker({ LOVAGE_BROKER_URL: redis.url, LOVAGE_PREFIX: prefix, LOVAGE_LOG_LEVEL: 'info' }, ['-c', '20', '--prefetch', '40']);
    await worker.ready;
    await mark.bulkApply(Array.from({ length: 2000 }, (_, i) => [i] as [number]));
    await until(async () => (await client.scard(`${prefix}marks`)) >= 500, 60_000);

    await redis.stop();
    // Producers keep calling delay() while the broker is away: the calls wait for it instead of failing.
    const sentDuringOutage = Promise.all(Array.from({ length: 1000 }, (_, i) => mark.delay(2000 + i)));
    await redis.start();
    await sentDuringOutage;

    const tasksRun = async () => new Set((await client.smembers(`${prefix}marks`)).map((member) => member.split(':')[0])).size;
    await until(async () => (await tasksRun()) === 3000, 120_000);
    expect(await client.scard(`${prefix}marks`)).toBe(3000); // one run per task: none ran twice

    const workerLines = worker.output().split('\n');
    expect(worker.output()).not.toMatch(/Unhandled error event/);
    expect(count(workerLines, 'broker connection lost, reconnecting')).toBe(1);
    await until(() => count(worker.output().split('\n'), 'broker connection restored') === 1, 30_000);
    expect(count(logger.messages, 'broker connection lost, reconnecting')).toBe(1);
    expect(count(logger.messages, 'broker connection restored')).toBe(1);

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  }, 240_000);
});
