// Beat's high availability against real Redis with real `lovage beat` processes:
// three beats fire a 1 s schedule once per second, never twice, through a
// SIGKILL of the leader; edits apply while running; code removals apply at start.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix, uniquePrefix } from '@lovage/test-support/redis';
import { Lovage } from '../../src/index.js';
import type { TaskMessage } from '../../src/task/message.js';
import { queueKeys } from '../../src/adapters/redis/keys.js';
import { redisUrl, sleep, until } from '../support.js';
import { killAll, spawnBeat, type BeatChild } from './fixtures/child.js';

const LOCK_TTL_MS = 2_000;

interface Fired {
  task: string;
  dueAt: number;
  sentAt: number;
}

describe('beat processes on real Redis', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    killAll();
    for (const c of cleanups.splice(0)) await c();
  });

  function setup(schedule: Record<string, unknown>) {
    const prefix = uniquePrefix('beatha');
    const client = new Redis(redisUrl);
    const app = new Lovage({ broker: redisUrl, prefix, logLevel: 'silent' });
    cleanups.push(async () => {
      await app.close();
      await deleteKeysWithPrefix(client, prefix);
      client.disconnect();
    });
    const env = (code: Record<string, unknown> = schedule) => ({
      LOVAGE_BROKER_URL: redisUrl,
      LOVAGE_PREFIX: prefix,
      LOVAGE_LOG_LEVEL: 'info',
      BEAT_SCHEDULE: JSON.stringify(code),
    });
    /** Every task beat has sent so far (no worker consumes the queue in these tests). */
    const fired = async (): Promise<Fired[]> => {
      const bodies = await client.hvals(queueKeys(prefix, 'default').messages);
      return bodies
        .map((body) => JSON.parse(body) as TaskMessage)
        .map((m) => ({
          task: m.task,
          dueAt: Date.parse((m.headers.beat as { dueAt: string }).dueAt),
          sentAt: m.sentAt,
        }))
        .sort((a, b) => a.dueAt - b.dueAt);
    };
    return { prefix, app, env, fired };
  }

  const leaderOf = (beats: BeatChild[]): { beat: BeatChild; since: number } | undefined => {
    let latest: { beat: BeatChild; since: number } | undefined;
    for (const beat of beats) {
      for (const line of beat.lines) {
        if (line.msg === 'beat: leader' && (!latest || (line.time ?? 0) > latest.since))
          latest = { beat, since: line.time ?? 0 };
      }
    }
    return latest;
  };

  it('three beats send a 1 s schedule once per second, none twice, and a standby takes over after the leader is SIGKILLed', async () => {
    const { env, fired } = setup({ tick: { task: 'ha.tick', schedule: '1s', catchUp: 'all' } });
    const beats = ['beat-1', 'beat-2', 'beat-3'].map((name) =>
      spawnBeat(name, env(), ['--lock-ttl', `${LOCK_TTL_MS}ms`]),
    );
    await Promise.all(beats.map((b) => b.ready));
    await until(async () => (await fired()).length >= 1, 15_000);

    // 30 s of firing in all, as the beat issue asks: 15 s under the first leader, 15 s after its death.
    await sleep(15_000);
    const leader = leaderOf(beats)!;
    expect(leader).toBeDefined();
    const beforeKill = await fired();
    const killedAt = Date.now();
    leader.beat.child.kill('SIGKILL');
    await leader.beat.exited;

    await sleep(15_000);
    const survivors = beats.filter((b) => b !== leader.beat);
    const next = leaderOf(survivors);
    expect(next).toBeDefined();
    expect(next!.since).toBeGreaterThan(killedAt);
    const takeoverMs = next!.since - killedAt;
    for (const b of survivors) b.child.kill('SIGTERM');
    expect(await Promise.all(survivors.map((b) => b.exited))).toEqual([0, 0]);

    const runs = await fired();
    const dues = runs.map((r) => r.dueAt);
    // None twice: every due time was sent once, across three beats and a failover.
    expect(new Set(dues).size).toBe(dues.length);
    // One per second: due times sit exactly 1 s apart with none missing (catchUp 'all'
    // sends the seconds of the failover gap late, once each).
    for (let i = 1; i < dues.length; i++) expect(dues[i]! - dues[i - 1]!).toBe(1_000);
    expect(runs.length).toBeGreaterThanOrEqual(15);
    // Before the kill each run went out on time.
    for (const r of beforeKill) expect(r.sentAt - r.dueAt).toBeLessThan(1_000);
    // The failover gap: the longest pause between two sends.
    let gapMs = 0;
    const sent = runs.map((r) => r.sentAt).sort((a, b) => a - b);
    for (let i = 1; i < sent.length; i++) gapMs = Math.max(gapMs, sent[i]! - sent[i - 1]!);
    console.info(
      `beat failover: takeover ${takeoverMs} ms after SIGKILL, longest gap between sends ${gapMs} ms (lock TTL ${LOCK_TTL_MS} ms)`,
    );
    expect(takeoverMs).toBeLessThanOrEqual(LOCK_TTL_MS + 1_500);
    expect(gapMs).toBeLessThanOrEqual(LOCK_TTL_MS + 2_500);
  }, 90_000);

  it('applies an interval edit within a second while running, and drops a schedule removed from code at the next start', async () => {
    const code = { slow: { task: 'ha.slow', schedule: '10s' }, gone: { task: 'ha.gone', schedule: '1h' } };
    const { app, env, fired } = setup(code);
    await app.schedules.upsert('adhoc', { task: 'ha.adhoc', schedule: '1h' }, { actor: 'test' });
    const first = spawnBeat('beat-a', env(), ['--lock-ttl', `${LOCK_TTL_MS}ms`]);
    await first.ready;
    await until(() => leaderOf([first]) !== undefined, 10_000);
    expect((await app.schedules.list()).map((e) => e.name)).toEqual(['adhoc', 'gone', 'slow']);

    const editedAt = Date.now();
    await app.schedules.upsert('slow', { task: 'ha.slow', schedule: '500ms' }, { actor: 'ops' });
    await until(async () => (await fired()).filter((r) => r.task === 'ha.slow').length >= 3, 5_000);
    const slow = (await fired()).filter((r) => r.task === 'ha.slow');
    expect(slow[0]!.sentAt - editedAt).toBeLessThan(1_000);
    expect(slow[1]!.dueAt - slow[0]!.dueAt).toBe(500);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const runsBefore = (await app.schedules.get('slow'))!.totalRunCount;

    // Restart with 'gone' deleted from code.
    const second = spawnBeat('beat-b', env({ slow: code.slow }), ['--lock-ttl', `${LOCK_TTL_MS}ms`]);
    await second.ready;
    const entries = await app.schedules.list();
    expect(entries.map((e) => e.name)).toEqual(['adhoc', 'slow']);
    const kept = entries.find((e) => e.name === 'slow')!;
    // History survives the restart, and so does the operator's edit (the code did not change).
    expect(kept.totalRunCount).toBeGreaterThanOrEqual(runsBefore);
    expect(kept.schedule).toEqual({ kind: 'interval', everyMs: 500 });
    expect(kept.source).toBe('code');
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 60_000);
});
