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
import { LovageError } from '../errors.js';
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

/** The part of a Prisma client (or transaction) the outbox uses: the LovageOutbox model. */
export interface OutboxClient {
  lovageOutbox: {
    create(args: { data: { id: string; queue: string; body: string } }): Promise<unknown>;
    findMany(args: { orderBy: { createdAt: 'asc' }; take: number }): Promise<OutboxRow[]>;
    deleteMany(args: { where: { id: { in: string[] } } }): Promise<unknown>;
  };
}

/** Writes the task's message to the outbox inside the caller's transaction. Returns the task id. */
export async function enqueueInTransaction<A extends unknown[], R>(
  tx: Pick<OutboxClient, 'lovageOutbox'> | { lovageOutbox: { create(args: { data: { id: string; queue: string; body: string } }): Promise<unknown> } },
  task: Task<A, R>,
  args: A,
  options: ApplyOptions = {},
): Promise<string> {
  const message = task.message(args, options);
  await tx.lovageOutbox.create({ data: { id: message.id, queue: message.queue, body: JSON.stringify(message) } });
  return message.id;
}

export interface OutboxRelay {
  /** Publishes and deletes one batch; returns how many rows it published. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Publishes outbox rows to the broker and deletes them. Delete follows publish,
 * so a crash in between republishes the row; the broker treats the repeated
 * task id as the same message.
 */
export function relayOutbox(options: { prisma: OutboxClient; app: Lovage; interval?: Duration; batchSize?: number; autoStart?: boolean }): OutboxRelay {
  const intervalMs = toMs(options.interval ?? '1s', 'interval');
  const batchSize = options.batchSize ?? 100;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = false;

  const runOnce = async (): Promise<number> => {
    const rows = await options.prisma.lovageOutbox.findMany({ orderBy: { createdAt: 'asc' }, take: batchSize });
    if (rows.length === 0) return 0;
    for (const row of rows) await options.app.publishRaw(JSON.parse(row.body) as TaskMessage);
    await options.prisma.lovageOutbox.deleteMany({ where: { id: { in: rows.map((r) => r.id) } } });
    return rows.length;
  };

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
