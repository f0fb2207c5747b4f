// Canvases across the language boundary, in Celery's own embed: a real Python
// worker (Celery 5.2.6) runs the `peer.*` tasks on the peer's queue and a
// Lovage worker runs the `ts.*` tasks on a queue of its own. Chains sent by
// Python and by Lovage run step by step on both; chords whose members run on
// both join in Celery's Redis keys (celery-taskset-meta-<gid>.j/.s), so the
// body runs once with the results in order; links and errbacks cross too.
import { Redis } from 'ioredis';
import { startCeleryWorker, type CeleryWorker } from '@lovage/test-support/celery-worker';
import { cleanupPeer, peerConfig, runPythonJson } from '@lovage/test-support/python-peer';
import { deleteKeysWithPrefix } from '@lovage/test-support/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chain, chord, currentTask, group, TaskFailedError, type Worker } from '../../src/index.js';
import { layoutFor, lovageAppFor } from './celery-peer-support.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

class Declined extends Error {
  override name = 'Declined';
}

describe('canvases across Python and Lovage workers, in Celery’s embed', () => {
  const redis = new Redis(redisUrl);
  const config = peerConfig('celery-canvas');
  const layout = layoutFor(config);
  const tsQueue = `${config.queue}-ts`;
  const { app, prefix } = lovageAppFor(config, 'celery-canvas');
  const resultKeys: string[] = [];
  /** Every ts.collect run: a chord body must run once. */
  const collected: unknown[][] = [];

  const double = app.task('ts.double', (x: number) => x * 2, { queue: tsQueue });
  const collect = app.task(
    'ts.collect',
    (results: unknown[]) => {
      collected.push(results);
      return { results, from: 'typescript', parent: currentTask().headers.parentId ?? null };
    },
    { queue: tsQueue },
  );
  const fail = app.task(
    'ts.fail',
    (why: string) => {
      throw new Declined(`declined in TypeScript: ${why}`);
    },
    { queue: tsQueue },
  );
  // Python's tasks, registered only to build typed signatures: the Lovage worker does not consume their queue.
  const add = app.task('peer.add', (_x: number, _y: number): number => {
    throw new Error('runs in Python');
  });
  const describeTask = app.task('peer.describe', (..._args: unknown[]): Record<string, unknown> => {
    throw new Error('runs in Python');
  });

  let python: CeleryWorker;
  let worker: Worker;

  /** Runs a Python snippet that builds a canvas with `s(name, *args)` / `ts(name, *args)` helpers and prints JSON. */
  async function fromPython<T>(body: string): Promise<T> {
    const code = [
      'import json',
      'from celery import chain, chord, group',
      'from peer_project.celery_app import app',
      's = lambda name, *args, **kw: app.signature(name, args=args, **kw)',
      `ts = lambda name, *args, **kw: app.signature(name, args=args, queue=${JSON.stringify(tsQueue)}, **kw)`,
      body,
    ].join('\n');
    return runPythonJson<T>(code, config, { timeoutMs: 120_000 });
  }

  beforeAll(async () => {
    worker = app.worker({ queues: [tsQueue], concurrency: 4 });
    await worker.start();
    python = await startCeleryWorker({ config, name: 'canvas', pool: 'prefork', concurrency: 2 });
  }, 180_000);

  afterAll(async () => {
    await worker?.close();
    await python?.stop();
    await app.close();
    await deleteKeysWithPrefix(redis, prefix);
    await cleanupPeer(redis, config, resultKeys);
    redis.disconnect();
  }, 60_000);

  it('a chain sent by Python runs step by step on Python and Lovage workers, the result passed on and immutable steps honoured', async () => {
    const out = await fromPython<{ ids: string[]; value: number; immutable: number }>(`
r = chain(s('peer.add', 1, 2), ts('ts.double'), s('peer.add', 10), ts('ts.double')).apply_async()
r2 = chain(ts('ts.double', 1), ts('ts.double', 5, immutable=True), s('peer.add', 1)).apply_async()
ids = []
node = r
while node is not None:
    ids.append(node.id)
    node = node.parent
print(json.dumps({'ids': ids + [r2.id], 'value': r.get(timeout=90), 'immutable': r2.get(timeout=90)}))
`);
    resultKeys.push(...out.ids.map((id) => layout.resultKey(id)));
    expect(out.value).toBe(((1 + 2) * 2 + 10) * 2);
    expect(out.immutable).toBe(5 * 2 + 1);
  }, 180_000);

  it('a chain sent by Python with a group inside (a chord, as Celery makes it) is carried on by the Lovage worker that ran the step before it', async () => {
    const out = await fromPython<{ id: string; value: { results: number[] } }>(`
r = chain(ts('ts.double', 2), group(s('peer.add', 1), ts('ts.double')), ts('ts.collect'), s('peer.describe')).apply_async()
print(json.dumps({'id': r.id, 'value': r.get(timeout=90)}))
`);
    resultKeys.push(layout.resultKey(out.id));
    expect(out.value).toMatchObject({ args: [{ results: [5, 8], from: 'typescript' }] });
  }, 180_000);

  it('a chord sent by Python with members on both workers joins in Celery’s keys; the TypeScript body runs once with the results in order', async () => {
    const out = await fromPython<{ id: string; value: { results: number[]; from: string } }>(`
r = chord([s('peer.add', 1, 1), ts('ts.double', 5), s('peer.add', 2, 2), ts('ts.double', 7)], ts('ts.collect')).apply_async()
print(json.dumps({'id': r.id, 'value': r.get(timeout=90)}))
`);
    resultKeys.push(layout.resultKey(out.id));
    expect(out.value).toMatchObject({ results: [2, 10, 4, 14], from: 'typescript' });
    expect(collected.filter((c) => JSON.stringify(c) === '[2,10,4,14]')).toHaveLength(1);
  }, 180_000);

  it('a chain sent by Lovage runs on Python and Lovage workers and result.get() returns the last step', async () => {
    const firstId = crypto.randomUUID();
    const result = await chain(add.s(1, 2).set({ taskId: firstId }), double.s(), add.s(10), double.s()).applyAsync();
    resultKeys.push(layout.resultKey(result.id), layout.resultKey(firstId));
    expect(await result.get({ timeout: 90_000 })).toBe(32);
    // Python ran the first step and stored its result under the id Lovage gave it.
    expect(await app.asyncResult(firstId).get({ timeout: 10_000 })).toBe(3);
  }, 180_000);

  it('a group and chords sent by Lovage: members on both sides, bodies in Python and in TypeScript', async () => {
    const g = await group([add.s(1, 1), double.s(4)]).applyAsync();
    expect(await g.get({ timeout: 90_000 })).toEqual([2, 8]);

    const toPython = await chord([double.s(3), add.s(2, 3), double.s(10)], describeTask.s('tail')).applyAsync();
    resultKeys.push(layout.resultKey(toPython.id));
    expect(await toPython.get({ timeout: 90_000 })).toMatchObject({ args: [[6, 5, 20], 'tail'] });

    const toTs = await chord([add.s(5, 5), double.s(1)], collect.s()).applyAsync();
    resultKeys.push(layout.resultKey(toTs.id));
    expect(await toTs.get({ timeout: 90_000 })).toMatchObject({ results: [10, 2], from: 'typescript' });

    // A group nested in a chord's header is unrolled into it, as Celery does: one join, results in order.
    const nested = await chord([double.s(1), group([add.s(1, 1), double.s(2)])], collect.s()).applyAsync();
    resultKeys.push(layout.resultKey(nested.id));
    expect(await nested.get({ timeout: 90_000 })).toMatchObject({ results: [2, 2, 4] });

    // A chord as a chain step: the group's results go to the next step, and the chain carries on after it.
    const chained = await chain(double.s(2), group([add.s(1), double.s()]), collect.s(), describeTask.s()).applyAsync();
    resultKeys.push(layout.resultKey(chained.id));
    expect(await chained.get({ timeout: 90_000 })).toMatchObject({ args: [{ results: [5, 8], from: 'typescript' }] });
    // The same with a Python step first: Python's worker applies the chord Lovage wrote in Celery's dict form.
    const fromPythonStep = await chain(add.s(1, 1), group([add.s(1), double.s()]), collect.s()).applyAsync();
    resultKeys.push(layout.resultKey(fromPythonStep.id));
    expect(await fromPythonStep.get({ timeout: 90_000 })).toMatchObject({ results: [3, 4], from: 'typescript' });
  }, 240_000);

  it('links and errbacks cross: a success link runs in Python, an errback gets the failed task id', async () => {
    const linked = add.s(100).set({ taskId: crypto.randomUUID() });
    const first = await double.s(2).link(linked).applyAsync();
    const linkId = linked.json.options.taskId!;
    resultKeys.push(layout.resultKey(first.id), layout.resultKey(linkId));
    expect(await first.get({ timeout: 90_000 })).toBe(4);
    expect(await app.asyncResult(linkId).get({ timeout: 90_000 })).toBe(104);

    const errback = describeTask.s('after failure').set({ taskId: crypto.randomUUID() });
    const failed = await fail.s('card').linkError(errback).applyAsync();
    const errbackId = errback.json.options.taskId!;
    resultKeys.push(layout.resultKey(failed.id), layout.resultKey(errbackId));
    await expect(failed.get({ timeout: 90_000 })).rejects.toBeInstanceOf(TaskFailedError);
    expect(await app.asyncResult(errbackId).get({ timeout: 90_000 })).toMatchObject({ args: [failed.id, 'after failure'] });
  }, 180_000);

  it('a chord with a failed TypeScript member fails its Python body with ChordError naming the member', async () => {
    const result = await chord([add.s(1, 1), fail.s('no')], describeTask.s()).applyAsync();
    resultKeys.push(layout.resultKey(result.id));
    const err = (await result.get({ timeout: 90_000 }).catch((e: unknown) => e)) as TaskFailedError;
    expect(err).toBeInstanceOf(TaskFailedError);
    expect(err.remoteName).toBe('ChordError');
    expect(err.remoteMessage).toMatch(/^Dependency [0-9a-f-]{36} raised Declined\('declined in TypeScript: no'\)/);

    // The other way round: a Python member fails; whichever worker completes the join fails the TypeScript body.
    const peerFail = app.task('peer.fail', (_why: string): number => {
      throw new Error('runs in Python');
    });
    const bodiesBefore = collected.length;
    const other = await chord([double.s(1), peerFail.s('boom')], collect.s()).applyAsync();
    resultKeys.push(layout.resultKey(other.id));
    const otherErr = (await other.get({ timeout: 90_000 }).catch((e: unknown) => e)) as TaskFailedError;
    expect(otherErr).toBeInstanceOf(TaskFailedError);
    expect(otherErr.remoteName).toBe('ChordError');
    expect(otherErr.remoteMessage).toMatch(/^Dependency [0-9a-f-]{36} raised PeerTaskError\('boom'\)/);
    // The body never ran.
    expect(collected).toHaveLength(bodiesBefore);
  }, 180_000);
});
