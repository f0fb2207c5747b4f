// The CLI over RabbitMQ: `lovage control ping` reaches a worker through the
// amqp control bus, an unreachable amqp:// broker fails at once with one line,
// and `lovage queues pause|concurrency` work on an amqp:// broker.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix, uniquePrefix } from '@lovage/test-support/redis';
import { redisUrl } from '../support.js';
import { killAll, spawnWorker } from '../fault/child.js';
import { amqpUrl, deleteAmqpPrefix } from './amqp-topology.js';

const bin = fileURLToPath(new URL('../../bin/lovage.mjs', import.meta.url));

function lovage(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--conditions=@lovage/source', bin, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('lovage CLI over RabbitMQ', { timeout: 90_000 }, () => {
  const prefix = uniquePrefix('amqp-cli');
  const env = { LOVAGE_RESULT_BACKEND: redisUrl, LOVAGE_PREFIX: prefix, LOVAGE_LOG_LEVEL: 'silent' };
  afterAll(async () => {
    killAll();
    const client = new Redis(redisUrl);
    await deleteKeysWithPrefix(client, prefix);
    client.disconnect();
    await deleteAmqpPrefix(prefix);
  });

  it('control ping gets a pong from a worker on amqp://, an unreachable amqp:// broker is one line, and a pause and a limit set from the CLI hold', async () => {
    const worker = spawnWorker({ ...env, LOVAGE_BROKER_URL: amqpUrl }, ['-n', 'amqp-cli-w1']);
    await worker.ready;
    const [ping, unreachable] = await Promise.all([
      lovage(['control', 'ping', '--broker', amqpUrl, '--prefix', prefix, '--timeout', '5s'], env),
      lovage(['status', '--broker', 'amqp://guest:guest@127.0.0.1:1'], env),
    ]);
    expect(ping.stdout.trim()).toBe('-> amqp-cli-w1: pong');
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr.trim()).toBe('lovage: BrokerUnreachableError: cannot reach the broker at amqp://***@127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1');
    // Pause and a concurrency limit set by one process are seen by the next: they live in the backend store.
    const broker = ['--broker', amqpUrl, '--prefix', prefix];
    const [paused, limited] = await Promise.all([lovage(['queues', 'pause', 'cli-q', ...broker], env), lovage(['queues', 'concurrency', 'cli-q', '2', ...broker], env)]);
    expect([paused.stdout.trim(), limited.stdout.trim()]).toEqual(['paused cli-q', 'limited cli-q to 2 running at once']);
    const listed = JSON.parse((await lovage(['queues', '--json', ...broker], env)).stdout) as { name: string; paused: boolean; concurrency: number | null }[];
    expect(listed.find((q) => q.name === 'cli-q')).toMatchObject({ paused: true, concurrency: 2 });
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });
});
