// Spawns `lovage worker` child processes and makes sure none outlives the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/lovage.mjs', import.meta.url));
export const faultApp = fileURLToPath(new URL('../fixtures/fault-app.ts', import.meta.url));
const children = new Set<ChildProcess>();

export interface WorkerChild {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<number | null>;
  /** Everything the worker printed so far, stdout and stderr. */
  output(): string;
}

export function spawnWorker(env: Record<string, string>, args: string[] = []): WorkerChild {
  const child = spawn(process.execPath, ['--conditions=@lovage/source', bin, 'worker', '--app', faultApp, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('lovage worker ready')) resolve();
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before ready: ${output}`)));
  });
  ready.catch(() => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { children.delete(child); resolve(code); }));
  return { child, ready, exited, output: () => output };
}

export function killAll(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
}
