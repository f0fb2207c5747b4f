// Asks a Redis broker for PONG before anything else starts, because the engine's
// client reconnects forever by design: without this check a wrong URL would
// look like a demo that hangs.
import { Redis } from 'ioredis';
import { BrokerUnreachable } from './start-error.js';

export async function checkBroker(url: string, timeoutMs = 3_000): Promise<void> {
  // memory:// needs no check; Sentinel and Cluster URLs name several nodes the engine resolves itself.
  if (!/^rediss?:\/\//.test(url)) return;
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  let cause: unknown;
  // The 'error' event has the real reason (ECONNREFUSED, ENOTFOUND, NOAUTH); the rejection only says "closed".
  client.on('error', (error: unknown) => (cause ??= error));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    const reason = cause ?? error;
    const detail = (reason as NodeJS.ErrnoException).code ?? (reason instanceof Error ? reason.message : String(reason));
    throw new BrokerUnreachable(url, detail);
  } finally {
    client.disconnect();
  }
}
