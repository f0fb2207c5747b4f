// After-commit dispatch for Prisma. Two guarantees:
//
// - onCommit(tx, fn): fn runs only after the interactive transaction COMMITs,
//   never on rollback. Cheap, but a crash between COMMIT and fn loses the call.
// - enqueueInTransaction(tx, task, args): the message is written to an outbox
//   table in the same transaction; relayOutbox() publishes and deletes it. A
//   crash anywhere leaves the row, so the task is published once the relay
//   runs again (at least once; the broker ignores a repeated task id).
//
// Prisma stays an optional peer: these functions only rely on the structural
// shape of a PrismaClient (`$transaction` and the `lovageOutbox` delegate).
import { injectActive } from '../tracing/tracing.js';
import { ConfigError, LovageError } from '../errors.js';
import type { Lovage } from '../app/lovage.js';
import type { Logger } from '../app/logger.js';
import type { ApplyOptions, Task } from '../task/task.js';
import type { TaskMessage } from '../task/message.js';
import { toMs, type Duration } from '../time/duration.js';

type Callback = () => unknown;
const pending = new WeakMap<object, Callback[]>();

interface InteractiveTransactions {
  $transaction: (...args: never[]) => Promise<unknown>;
}

/**
 * Wraps a PrismaClient so interactive transactions (`$transaction(async (tx) => …)`)
 * collect onCommit() callbacks and run them after a successful commit.
 */
export function withAfterCommit<P extends InteractiveTransactions>(prisma: P, options: { logger?: Logger } = {}): P {
  return new Proxy(prisma, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (prop !== '$transaction' || typeof value !== 'function') return value;
      return async (first: unknown, ...rest: unknown[]) => {
        if (typeof first !== 'function') return (value as (...a: unknown[]) => Promise<unknown>).call(target, first, ...rest);
        const callbacks: Callback[] = [];
        const result = await (value as (...a: unknown[]) => Promise<unknown>).call(
          target,
          (tx: object) => {
            pending.set(tx, callbacks);
            return (first as (tx: object) => unknown)(tx);
          },
          ...rest,
        );
        // Committed. A failing callback must not turn the committed transaction into an error.
        for (const cb of callbacks) {
          try {
            await cb();
          } catch (err) {
            options.logger?.error({ err }, 'onCommit callback failed');
          }
        }
        return result;
      };
    },
  });
}

/** Runs `fn` after the transaction `tx` commits; dropped if it rolls back. */
export function onCommit(tx: object, fn: Callback): void {
  const callbacks = pending.get(tx);
  if (!callbacks) {
    throw new LovageError('NOT_IN_TRANSACTION', 'onCommit() needs the `tx` of a $transaction on a client wrapped by withAfterCommit()');
  }
  callbacks.push(fn);
}

export interface OutboxRow {
  id: string;
  queue: string;
  body: string;
  createdAt: Date;
}

/** The part of a Prisma transaction enqueueInTransaction() uses: the LovageOutbox model. */
export interface OutboxClient {
  lovageOutbox: {
    create(args: { data: { id: string; queue: string; body: string } }): Promise<unknown>;
  };
}

/** Writes the task's message to the outbox inside the caller's transaction. Returns the task id. */
export async function enqueueInTransaction<A extends unknown[], R>(
  tx: OutboxClient,
  task: Task<A, R>,
  args: A,
  options: ApplyOptions = {},
): Promise<string> {
  const message = task.message(args, options);
  // The relay publishes later, outside this call: the caller's trace context goes with the row.
  injectActive(message.headers);
  await tx.lovageOutbox.create({ data: { id: message.id, queue: message.queue, body: JSON.stringify(message) } });
  return message.id;
}

export interface OutboxRelay {
  /** Claims, publishes and deletes one batch; returns how many rows it published. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

/** The part of a Prisma client the relay uses: raw SQL in an interactive transaction. */
export interface OutboxRelayClient {
  $transaction<T>(fn: (tx: OutboxRelayTx) => Promise<T>, options?: { timeout?: number; maxWait?: number }): Promise<T>;
}
/** The relay's view of a transaction client. */
export interface OutboxRelayTx {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

/**
 * Publishes outbox rows to the broker and deletes them. Each batch is claimed
 * with `FOR UPDATE SKIP LOCKED` inside a transaction that publishes, deletes
 * and commits: several relays (one per worker or beat) share the table, and a
 * row locked by one relay is skipped by the others, so each row is published
 * once. A crash before COMMIT releases the lock and leaves the rows, which are
 * published again; the broker treats the repeated task id as the same message.
 */
export function relayOutbox(options: {
  prisma: OutboxRelayClient;
  app: Lovage;
  interval?: Duration;
  batchSize?: number;
  autoStart?: boolean;
  /** The outbox table (the model's @@map); default lovage_outbox. */
  table?: string;
}): OutboxRelay {
  const intervalMs = toMs(options.interval ?? '1s', 'interval');
  const batchSize = options.batchSize ?? 100;
  const table = quoteIdentifier(options.table ?? 'lovage_outbox');
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = false;

  const runOnce = (): Promise<number> =>
    options.prisma.$transaction(
      async (tx) => {
        const rows = await tx.$queryRawUnsafe<Pick<OutboxRow, 'id' | 'body'>[]>(
          `SELECT id, body FROM ${table} ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
          batchSize,
        );
        if (rows.length === 0) return 0;
        for (const row of rows) await options.app.publishRaw(JSON.parse(row.body) as TaskMessage);
        await tx.$executeRawUnsafe(`DELETE FROM ${table} WHERE id = ANY($1::text[])`, rows.map((r) => r.id));
        return rows.length;
      },
      { timeout: 60_000 },
    );

  const tick = async (): Promise<void> => {
    if (stopped) return;
    try {
      running = runOnce();
      const n = await running;
      timer = setTimeout(() => void tick(), n === batchSize ? 0 : intervalMs);
    } catch (err) {
      options.app.logger.error({ err }, 'outbox relay failed; retrying');
      timer = setTimeout(() => void tick(), intervalMs);
    }
  };
  if (options.autoStart !== false) timer = setTimeout(() => void tick(), 0);

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}

function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(name)) {
    throw new ConfigError(`outbox table name ${JSON.stringify(name)} is not a plain SQL identifier`);
  }
  return name
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}
