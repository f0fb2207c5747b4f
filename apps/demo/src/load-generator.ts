// Steady, mixed traffic so every dashboard page has something to show: sign-ups
// (after-commit and outbox), orders with flaky payments, thumbnails on the
// threads pool, slow exports that hit their soft time limit, now and then a
// call that fails outright, large orders parked in the dead-letter queue, and
// now and then a regional sales report (a workflow: chain and chord) and a long
// report that shows its progress and log live (reports.build).
// `rate` is actions per second; 0 sends nothing.
import { randomBytes } from 'node:crypto';
import type { Logger } from '@lovage/engine';
import { buildReport, defaultRegions, exportLedger, makeThumbnail, reviewThresholdCents, startRegionalSales, trackEvent } from './app.js';
import { placeOrder, signUp, signUpDurably } from './signup.js';
import type { DemoPrisma } from './store.js';

export interface LoadGenerator {
  /** Actions started so far, by kind. */
  readonly counts: Readonly<Record<ActionKind, number>>;
  stop(): Promise<void>;
}

type ActionKind = 'signUp' | 'signUpDurably' | 'order' | 'thumbnail' | 'export' | 'report' | 'build';

/** Relative weights of the actions: mostly sign-ups and orders, as a shop would see. */
const weights: [ActionKind, number][] = [
  ['signUp', 3],
  ['signUpDurably', 1],
  ['order', 4],
  ['thumbnail', 2],
  ['export', 1],
  // A workflow of six tasks (see reports.regionalSales): now and then, as a shop's reports are.
  ['report', 0.2],
  // A report of a dozen pages, about five seconds: its task page has a moving progress bar and log.
  ['build', 0.2],
];
const totalWeight = weights.reduce((sum, [, w]) => sum + w, 0);

function pick(): ActionKind {
  let roll = Math.random() * totalWeight;
  for (const [kind, weight] of weights) {
    roll -= weight;
    if (roll < 0) return kind;
  }
  return 'order';
}

export function startLoadGenerator(options: { prisma: DemoPrisma; rate: number; logger: Logger }): LoadGenerator {
  const { prisma, rate, logger } = options;
  const counts: Record<ActionKind, number> = { signUp: 0, signUpDurably: 0, order: 0, thumbnail: 0, export: 0, report: 0, build: 0 };
  const inFlight = new Set<Promise<unknown>>();
  const userIds: number[] = [];
  const run = runId();
  let sequence = 0;
  let orders = 0;

  const newUser = async (durable: boolean): Promise<void> => {
    sequence += 1;
    const data = { email: `user${sequence}-${run}@example.com`, name: `User ${sequence}` };
    const id = await (durable ? signUpDurably(prisma, data) : signUp(prisma, data));
    await trackEvent.delay('signed-up', id);
    userIds.push(id);
    if (userIds.length > 200) userIds.shift();
  };

  const act = async (kind: ActionKind): Promise<void> => {
    counts[kind] += 1;
    switch (kind) {
      case 'signUp':
        return newUser(false);
      case 'signUpDurably':
        return newUser(true);
      case 'order': {
        if (userIds.length === 0) return newUser(false);
        const userId = userIds[Math.floor(Math.random() * userIds.length)]!;
        orders += 1;
        // The first order and every 25th is large enough to need a fraud review (a dead letter);
        // amounts that are multiples of 97 are declined by the fake provider (an outright failure).
        const amountCents =
          orders % 25 === 1
            ? reviewThresholdCents + 100 * Math.floor(Math.random() * 5_000)
            : Math.random() < 0.06
              ? 97 * (1 + Math.floor(Math.random() * 50))
              : 500 + Math.floor(Math.random() * 20_000);
        await placeOrder(prisma, userId, amountCents);
        return;
      }
      case 'thumbnail':
        await makeThumbnail.delay(1 + Math.floor(Math.random() * 10_000), Math.random() < 0.5 ? 160 : 320);
        return;
      case 'export':
        // 50-259 rows at 10 ms a row: above 200 rows (about one export in four) the 2 s soft limit fires.
        await exportLedger.delay(50 + Math.floor(Math.random() * 210));
        return;
      case 'report':
        await startRegionalSales.delay(defaultRegions);
        return;
      case 'build':
        await buildReport.delay(12, 400);
        return;
    }
  };

  const tick = (): void => {
    // Skip a beat rather than pile up when the database or broker is slow.
    if (inFlight.size >= Math.max(10, rate * 5)) return;
    const action = act(pick()).catch((error: unknown) => logger.warn({ err: error }, 'demo load: an action failed'));
    inFlight.add(action);
    void action.finally(() => inFlight.delete(action));
  };

  const timer = rate > 0 ? setInterval(tick, 1000 / rate) : undefined;
  return {
    counts,
    async stop() {
      if (timer) clearInterval(timer);
      await Promise.allSettled([...inFlight]);
    },
  };
}

/** Keeps emails unique across restarts that keep the database. */
function runId(): string {
  return randomBytes(3).toString('hex');
}
