// Entry of a threads-pool thread. In the repository the engine and the user's
// app are TypeScript, so tsx is registered first; then the real entry runs.
import { workerData } from 'node:worker_threads';

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
