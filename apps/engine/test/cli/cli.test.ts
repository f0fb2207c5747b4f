// The real `lovage` binary against real Redis: output, JSON and exit codes.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix, uniquePrefix } from '@lovage/test-support/redis';
import { Lovage, Reject } from '../../src/index.js';
import { redisUrl, until } from '../support.js';
import { faultApp, killAll, spawnWorker } from '../fault/child.js';

const bin = fileURLToPath(new URL('../../bin/lovage.mjs', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function lovage(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--conditions=@lovage/source', bin, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

// Every `lovage` call is a fresh Node process that loads the CLI's TypeScript through tsx: about a
// CPU-second each, several per test, and more on a machine three times slower than a quiet one.
describe('lovage CLI against real Redis', { timeout: 60_000 }, () => {
  const prefix = uniquePrefix('cli');
  const env = { LOVAGE_BROKER_URL: redisUrl, LOVAGE_PREFIX: prefix, LOVAGE_LOG_LEVEL: 'silent', LOVAGE_HEARTBEAT_INTERVAL: '300' };
  const broker = ['--broker', redisUrl, '--prefix', prefix];
  const app = new Lovage({ broker: redisUrl, prefix, logLevel: 'silent' });
  const client = new Redis(redisUrl);
  let worker: ReturnType<typeof spawnWorker>;

  beforeAll(async () => {
    worker = spawnWorker(env, ['-n', 'cli-w1', '-c', '4']);
    await worker.ready;
  }, 30_000);
  afterAll(async () => {
    killAll();
    await app.close();
    await deleteKeysWithPrefix(client, prefix);
    client.disconnect();
  });

  it('status lists the live worker with its last heartbeat, as a table and as JSON', async () => {
    const [human, json] = await Promise.all([lovage(['status', ...broker]), lovage(['status', ...broker, '--json'])]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/WORKER\s+HEARTBEAT/);
    expect(human.stdout).toMatch(/cli-w1\s+\d+s ago\s+default\s+async\/4/);
    expect(json.code).toBe(0);
    const workers = JSON.parse(json.stdout) as { hostname: string; heartbeat: { pid: number } }[];
    expect(workers.map((w) => w.hostname)).toEqual(['cli-w1']);
    expect(workers[0]!.heartbeat.pid).toBe(worker.child.pid);
  });

  it('inspect and control reach the worker process, and exit 1 when no destination replies', async () => {
    const [registered, ping, nobody, rate] = await Promise.all([
      lovage(['inspect', 'registered', '-d', 'cli-w1', '--app', faultApp, '--json'], env),
      lovage(['control', 'ping', ...broker]),
      lovage(['inspect', 'active', '-d', 'ghost', '-t', '200ms', ...broker]),
      lovage(['control', 'rate-limit', 'fault.record', '1000/s', '-d', 'cli-w1', ...broker, '--json']),
    ]);
    expect(registered.code).toBe(0);
    expect(JSON.parse(registered.stdout)).toEqual({ 'cli-w1': ['fault.collect', 'fault.cpu', 'fault.mark', 'fault.member', 'fault.poison', 'fault.record', 'fault.spin'] });
    expect(ping.stdout.trim()).toBe('-> cli-w1: pong');
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain('no workers replied');
    expect(JSON.parse(rate.stdout)).toEqual({ 'cli-w1': { ok: 'new rate limit set for fault.record: 1000/s' } });
  });

  it('call --wait runs a task and result shows it; events replays the stream', async () => {
    const call = await lovage(['call', 'fault.record', '--args', '[7]', '--wait', ...broker, '--json']);
    expect(call.code).toBe(0);
    const { id, state, result } = JSON.parse(call.stdout) as { id: string; state: string; result: number };
    expect([state, result]).toEqual(['SUCCESS', 7]);
    const [shown, events] = await Promise.all([
      lovage(['result', id, ...broker]),
      lovage(['events', '--from', '0', '--type', 'task-succeeded', '--limit', '1', '--json', ...broker]),
    ]);
    expect(shown.stdout).toMatch(/state\s+SUCCESS/);
    expect(shown.stdout).toMatch(/result\s+7/);
    expect(JSON.parse(events.stdout)).toMatchObject({ type: 'task-succeeded', id, name: 'fault.record', hostname: 'cli-w1', result: '7' });
  });

  it('dlq lists, requeues and drops dead letters; purge empties a queue; queues shows counts', async () => {
    const bad = app.task('cli.bad', () => {
      throw new Reject('never');
    }, { queue: 'cli-dead' });
    const w = app.worker({ queues: ['cli-dead'], hostname: 'cli-local' });
    await w.start();
    const sent = await bad.bulkApply([[], [], []] as [][]);
    await until(async () => (await app.queues.stats('cli-dead')).dead === 3);
    await w.close();
    const list = await lovage(['dlq', 'list', 'cli-dead', ...broker]);
    expect(list.stdout).toMatch(/ID\s+TASK\s+WHEN\s+REASON/);
    expect(list.stdout.match(/cli\.bad/g)).toHaveLength(3);
    const drop = await lovage(['dlq', 'drop', 'cli-dead', sent[0]!.id, ...broker]);
    expect(drop.stdout.trim()).toBe('dropped 1 dead letter of cli-dead');
    const requeue = await lovage(['dlq', 'requeue', 'cli-dead', '--all', ...broker, '--json']);
    expect(JSON.parse(requeue.stdout)).toEqual({ requeued: 2 });
    const queues = JSON.parse((await lovage(['queues', ...broker, '--json'])).stdout) as { name: string; ready: number; dead: number }[];
    expect(queues.find((q) => q.name === 'cli-dead')).toMatchObject({ ready: 2, dead: 0 });
    const [refused, purge] = await Promise.all([lovage(['purge', '-Q', 'cli-dead', ...broker]), lovage(['purge', '-Q', 'cli-dead', '-f', ...broker, '--json'])]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--force');
    expect(JSON.parse(purge.stdout)).toEqual({ purged: { 'cli-dead': 2 } });
  });

  it('queues pause and resume a queue (or all of them), shown in the queues table', async () => {
    await app.sendTask('cli.any', [], { queue: 'cli-paused' });
    const pause = await lovage(['queues', 'pause', 'cli-paused', ...broker]);
    expect(pause.stdout.trim()).toBe('paused cli-paused');
    expect((await app.queues.stats('cli-paused')).paused).toBe(true);
    const table = await lovage(['queues', ...broker]);
    expect(table.stdout).toMatch(/cli-paused\s+paused\s+1/);
    const missing = await lovage(['queues', 'resume', ...broker]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--all');
    const resumeAll = await lovage(['queues', 'resume', '--all', ...broker, '--json']);
    expect((JSON.parse(resumeAll.stdout) as { resumed: string[] }).resumed).toContain('cli-paused');
    expect((await app.queues.stats('cli-paused')).paused).toBe(false);
  });

  it('queues concurrency sets and removes a queue limit, shown in the queues table; a bad LIMIT exits 2 naming it', async () => {
    await app.sendTask('cli.any', [], { queue: 'cli-limited' });
    const set = await lovage(['queues', 'concurrency', 'cli-limited', '3', ...broker]);
    expect(set.stdout.trim()).toBe('limited cli-limited to 3 running at once');
    expect((await app.queues.stats('cli-limited')).concurrency).toBe(3);
    const table = await lovage(['queues', ...broker]);
    expect(table.stdout).toMatch(/LIMIT/);
    expect(table.stdout).toMatch(/cli-limited\s+3\s+1/);
    const [zero, word] = await Promise.all([
      lovage(['queues', 'concurrency', 'cli-limited', '0', ...broker]),
      lovage(['queues', 'concurrency', 'cli-limited', 'many', ...broker]),
    ]);
    expect([zero.code, word.code]).toEqual([2, 2]);
    expect(zero.stderr).toContain('LIMIT: must be a whole number of at least 1, or none, got "0" (to stop the queue, use lovage queues pause)');
    expect(word.stderr).toContain('got "many"');
    expect((await app.queues.stats('cli-limited')).concurrency).toBe(3);
    const none = await lovage(['queues', 'concurrency', 'cli-limited', 'none', ...broker, '--json']);
    expect(JSON.parse(none.stdout)).toEqual({ queue: 'cli-limited', concurrency: null });
    expect((await app.queues.stats('cli-limited')).concurrency).toBeNull();
  });

  it('exits 2 naming the bad flag or value, and 1 with one clear line for an unreachable broker', async () => {
    const [flag, value, unknownCmd, unreachable, help] = await Promise.all([
      lovage(['status', '--brokr', redisUrl]),
      lovage(['inspect', 'active', '--timeout', 'soon', ...broker]),
      lovage(['inspekt']),
      lovage(['status', '--broker', 'redis://127.0.0.1:1']),
      lovage(['dlq', 'requeue', '--help']),
    ]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("unknown option '--brokr'");
    expect(value.code).toBe(2);
    expect(value.stderr).toContain("option '-t, --timeout <duration>' argument 'soon' is invalid");
    expect(unknownCmd.code).toBe(2);
    expect(unknownCmd.stderr).toContain("unknown command 'inspekt'");
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr.trim()).toBe('lovage: BrokerUnreachableError: cannot reach the broker at redis://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: lovage dlq requeue');
  });

  it('control shutdown -d stops the worker process, which leaves the registry', async () => {
    const stop = await lovage(['control', 'shutdown', '-d', 'cli-w1', ...broker]);
    expect(stop.stdout.trim()).toBe('-> cli-w1: shutting down');
    expect(await worker.exited).toBe(0);
    const status = await lovage(['status', ...broker]);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain('no workers online');
  });
});
