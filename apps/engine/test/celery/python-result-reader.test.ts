// Result meta the codec writes, read by Python's AsyncResult.get(): the value,
// or an exception carrying the TypeScript error's name and message.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { cleanupPeer, peerConfig, runPython } from '@lovage/test-support/python-peer';
import { afterAll, describe, expect, it } from 'vitest';
import type { KombuLayout } from '../../src/adapters/celery/kombu-layout.js';
import { encodeResultMeta, type ResultMetaSpec } from '../../src/adapters/celery/result-meta.js';
import { layoutFor } from './celery-peer-support.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

// Waits in AsyncResult.get() and prints what it got, or what it raised.
const GET = `
import json, sys
from peer_project import app
r = app.AsyncResult(sys.argv[1])
try:
    value = r.get(timeout=60)
    print(json.dumps({'value': value, 'state': r.state}))
except Exception as exc:
    print(json.dumps({'raised': type(exc).__name__, 'module': type(exc).__module__, 'args': list(exc.args), 'str': str(exc),
                      'state': r.state, 'traceback': r.traceback}))
`;

/**
 * Starts Python's get() first and writes the meta only once Python has
 * subscribed to the result channel, then writes it as Celery's Redis backend
 * does (SETEX and PUBLISH in one MULTI): whichever of its GET or the PUBLISH
 * Python sees first, it must come back with the codec's meta.
 */
async function getFromPython(
  redis: Redis,
  layout: KombuLayout,
  config: ReturnType<typeof peerConfig>,
  spec: ResultMetaSpec,
): Promise<Record<string, unknown>> {
  const python = runPython(GET, config, { args: [spec.taskId], timeoutMs: 120_000 });
  const key = layout.resultKey(spec.taskId);
  await expect
    .poll(async () => ((await redis.pubsub('NUMSUB', key)) as [string, number])[1], {
      timeout: 60_000,
      interval: 20,
    })
    .toBeGreaterThan(0);
  await redis
    .multi()
    .setex(key, 3600, encodeResultMeta(spec, 'kombu-5.2'))
    .publish(key, encodeResultMeta(spec, 'kombu-5.2'))
    .exec();
  const { stdout } = await python;
  return JSON.parse(stdout.trimEnd().split('\n').pop() ?? '') as Record<string, unknown>;
}

describe("Python's AsyncResult.get() reads results the codec writes", () => {
  const redis = new Redis(redisUrl);
  const config = peerConfig('reader');
  const layout = layoutFor(config);
  const ids: string[] = [];
  const id = (): string => {
    const value = randomUUID();
    ids.push(value);
    return value;
  };

  afterAll(async () => {
    await cleanupPeer(
      redis,
      config,
      ids.map((taskId) => layout.resultKey(taskId)),
    );
    redis.disconnect();
  });

  it('returns a SUCCESS value, dates as kombu 5.2 strings', async () => {
    const got = await getFromPython(redis, layout, config, {
      taskId: id(),
      status: 'SUCCESS',
      result: { rows: 3, names: ['a', 'b'], at: new Date('2026-01-02T03:04:05Z') },
    });
    expect(got).toEqual({
      value: { rows: 3, names: ['a', 'b'], at: '2026-01-02T03:04:05Z' },
      state: 'SUCCESS',
    });
  }, 180_000);

  it("raises for a FAILURE with the TypeScript error's name and message, and shows its stack as the traceback", async () => {
    const stack = 'PaymentDeclined: card 42 was declined\n    at charge (payments.ts:10:11)';
    const got = await getFromPython(redis, layout, config, {
      taskId: id(),
      status: 'FAILURE',
      error: { name: 'PaymentDeclined', message: 'card 42 was declined' },
      traceback: stack,
    });
    expect(got).toEqual({
      raised: 'PaymentDeclined',
      module: 'celery.exceptions',
      args: ['card 42 was declined'],
      str: 'card 42 was declined',
      state: 'FAILURE',
      traceback: stack,
    });
  }, 180_000);

  it('raises TaskRevokedError for a REVOKED result', async () => {
    const got = await getFromPython(redis, layout, config, {
      taskId: id(),
      status: 'REVOKED',
      error: { name: 'TaskRevokedError', message: 'revoked', module: 'celery.exceptions' },
    });
    expect(got).toMatchObject({
      raised: 'TaskRevokedError',
      module: 'celery.exceptions',
      str: 'revoked',
      state: 'REVOKED',
    });
  }, 180_000);
});
