// The all-in-one entry as a user runs it: a real process, real signals.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const demoDir = fileURLToPath(new URL('..', import.meta.url));
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function startDemo(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@lovage/source', 'src/main.ts'], {
    cwd: demoDir,
    env: { ...process.env, DATABASE_URL: '', LOVAGE_BROKER_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

async function waitFor(check: () => boolean, timeoutMs = 50_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the demo');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function tempDataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lovage-demo-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('demo main', { timeout: 60_000 }, () => {
  it('serves the gateway, prints the banner, and exits 0 on SIGINT', async () => {
    const dataDir = await tempDataDir();
    const demo = startDemo({ PORT_GATEWAY: '0', HOST: '127.0.0.1', LOVAGE_DATA_DIR: dataDir });
    await waitFor(() => demo.output().stdout.includes('Stop:'));
    const { stdout } = demo.output();
    expect(stdout).toContain('Broker     memory://');
    expect(stdout).toContain(`PGlite (embedded) at ${path.join(dataDir, 'pglite')}`);
    const gatewayUrl = /Gateway {4}(\S+)/.exec(stdout)?.[1];
    const response = await fetch(`${gatewayUrl}/healthz`);
    expect(response.status).toBe(200);
    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
  });

  it('stops with one line of cause and fix when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => blocker.close(() => resolve())));
    const { port } = blocker.address() as net.AddressInfo;
    const demo = startDemo({ PORT_GATEWAY: String(port), HOST: '127.0.0.1', LOVAGE_DATA_DIR: await tempDataDir() });
    expect(await demo.exited).toBe(1);
    const { stderr } = demo.output();
    expect(stderr.trim()).toBe(
      `lovage: port ${port} is already in use (another Lovage or gateway?). Stop it, or pick another port: PORT_GATEWAY=5556 npm start`,
    );
  });
});
