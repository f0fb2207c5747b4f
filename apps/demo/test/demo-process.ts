// The demo's all-in-one entry as a child process, the way `npm start` runs it, for
// tests: embedded defaults (no Redis, no Postgres) and a free gateway port unless
// `env` says otherwise.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const demoDir = fileURLToPath(new URL('..', import.meta.url));

export interface DemoProcess {
  child: ReturnType<typeof spawn>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Everything printed so far. */
  output(): { stdout: string; stderr: string };
  /** Stops it with SIGTERM (SIGKILL after `graceMs`, or at once with 0) and waits for the exit. */
  stop(graceMs?: number): Promise<void>;
}

export function startDemo(env: Record<string, string>, args: string[] = []): DemoProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@lovage/source', 'src/main.ts', ...args], {
    cwd: demoDir,
    env: { ...process.env, DATABASE_URL: '', LOVAGE_BROKER_URL: '', LOVAGE_DEMO_RATE: '', HOST: '127.0.0.1', PORT_GATEWAY: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    async stop(graceMs = 0) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (graceMs > 0) {
        child.kill('SIGTERM');
        const done = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), graceMs))]);
        if (done) return;
      }
      child.kill('SIGKILL');
      await exited;
    },
  };
}
