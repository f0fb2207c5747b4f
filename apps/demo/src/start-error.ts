// Turns a start-up failure into one line saying what went wrong and how to fix
// it: no stack trace for the mistakes a newcomer makes on the first run.
import { DatabaseError, redactUrl } from '@lovage/gateway';
import { DemoConfigError } from './config.js';
import { DemoStoreError } from './store.js';

/** The broker did not answer a PING at start. */
export class BrokerUnreachable extends Error {
  override name = 'BrokerUnreachable';
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`cannot reach the broker at ${redactUrl(url)}: ${reason}`);
  }
}

const brokerFix = 'Start Redis (redis-server), fix LOVAGE_BROKER_URL, or unset it to use the in-process memory:// broker.';
const databaseFix =
  'Fix DATABASE_URL (postgresql://USER:PASSWORD@HOST:5432/DATABASE, with the database created), or unset it to use embedded PGlite.';

export function describeStartError(error: unknown, port: number): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return `lovage: port ${port} is already in use (another Lovage or gateway?). Stop it, or pick another port: PORT_GATEWAY=5556 LOVAGE_GATEWAY_URL=http://127.0.0.1:5556 npm start`;
  }
  if (code === 'EACCES') {
    return `lovage: not allowed to listen on port ${port}. Pick a port above 1024: PORT_GATEWAY=5556 LOVAGE_GATEWAY_URL=http://127.0.0.1:5556 npm start`;
  }
  if (error instanceof DemoConfigError) return `lovage: ${error.message}`;
  if (error instanceof BrokerUnreachable) return `lovage: ${error.message}. ${brokerFix}`;
  if (error instanceof DatabaseError || error instanceof DemoStoreError) {
    return `lovage: ${firstLine(error.message)}. ${databaseFix}`;
  }
  return `lovage: could not start: ${firstLine(error instanceof Error ? error.message : String(error))}`;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? '').replace(/\.$/, '');
}
