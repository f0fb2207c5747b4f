// Stops the servers a test process started, however that process ends.
// A test runner killed with SIGKILL runs no `afterAll`, so the servers are
// handed to a small reaper process that holds the read end of a pipe from this
// process; the pipe closes when this process ends (stop(), a crash, SIGKILL),
// and the reaper then kills the servers and removes their directory.
import { spawn, type ChildProcess } from 'node:child_process';

// Kills the given pids and removes the directory once its stdin closes.
const REAPER = `
const { rmSync } = require('node:fs');
const [dir, ...pids] = process.argv.slice(1);
const reap = () => {
  for (const pid of pids) { try { process.kill(Number(pid), 'SIGKILL'); } catch {} }
  try { rmSync(dir, { recursive: true, force: true }); } catch {}
  process.exit(0);
};
process.stdin.on('data', () => {});
process.stdin.on('end', reap);
process.stdin.on('close', reap);
process.on('SIGTERM', reap);
`;

/** Hands `children` and `dir` to a reaper; the returned stop() kills them now and resolves once they are gone. */
export function reapWithThisProcess(dir: string, children: ChildProcess[]): () => Promise<void> {
  const reaper = spawn(process.execPath, ['-e', REAPER, dir, ...children.map((c) => String(c.pid))], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  // Neither the reaper nor its pipe keeps this process alive.
  reaper.unref();
  (reaper.stdin as unknown as { unref?: () => void }).unref?.();
  const reaped = new Promise<void>((resolve) => reaper.once('exit', () => resolve()));
  return async () => {
    reaper.stdin?.end();
    await reaped;
    await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r)))));
  };
}
