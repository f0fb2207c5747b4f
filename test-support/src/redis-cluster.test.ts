import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { deleteClusterKeysWithPrefix, startRedisCluster } from './redis-cluster.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('a private cluster has three masters with a replica each, serves keys in every slot and is gone after stop()', async () => {
  const cluster = await startRedisCluster();
  const client = cluster.client();
  try {
    expect(cluster.url).toMatch(/^redis\+cluster:\/\/127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+){5}$/);
    const flags = String(await client.cluster('NODES'))
      .trim()
      .split('\n')
      .map((line) => line.split(' ')[2]!.replace('myself,', ''));
    expect(flags.sort()).toEqual(['master', 'master', 'master', 'slave', 'slave', 'slave']);
    const keys = Array.from({ length: 30 }, (_, i) => `lvt:cluster-helper:${i}`);
    await Promise.all(keys.map((k) => client.set(k, '1')));
    expect(await deleteClusterKeysWithPrefix(client, 'lvt:cluster-helper:')).toBe(30);
  } finally {
    client.disconnect();
    await cluster.stop();
  }
  expect(cluster.nodes.some((n) => alive(n.pid))).toBe(false);
  expect(existsSync(cluster.dir)).toBe(false);
}, 90_000);

test('the servers and their directory go away when the process that started them is killed', async () => {
  const script = fileURLToPath(new URL('./redis-cluster-owner.fixture.ts', import.meta.url));
  const owner = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: owner.stdout }).once('line', resolve);
    owner.once('exit', (code) => reject(new Error(`owner exited with ${code}`)));
  });
  const started = JSON.parse(line) as { dir: string; pids: number[] };
  expect(started.pids.every(alive)).toBe(true);
  owner.kill('SIGKILL');
  await until(() => !started.pids.some(alive) && !existsSync(started.dir));
}, 90_000);
