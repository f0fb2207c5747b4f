// A Redis master killed under load, as the Cluster and Sentinel failover tests
// and `npm run faults` run it: a producer sends without pause (round robin over
// `queues`) and a worker of this process runs the tasks, counting each run where
// the handler runs (results may live on the dead master). Once `sendsBefore`
// tasks are out, `kill()` strikes; once `promoted()` says the replica serves,
// `sendsAfter` more are sent, then the producer stops. Each phase waits at most
// `phaseTimeoutMs`; what happened is returned, not judged: the test asserts,
// the fault suite prints a row.
import { Lovage } from '../../src/index.js';

export interface FailoverRun {
  /** Every task sent, in order, with its task id and the time its send returned. */
  sent: { n: number; id: string; queue: string; at: number }[];
  /** Tasks that ran: how often, and when first. */
  runs: Map<number, { count: number; at: number }>;
  killedAt: number;
  /** When `promoted()` first said yes, or when the wait for it gave up. */
  promotedAt: number;
  promoted: boolean;
  /** Every task sent after the promotion ran (within the wait). */
  allAfterRan: boolean;
}

export interface FailoverOptions {
  broker: string;
  prefix: string;
  queues: string[];
  sendsBefore: number;
  sendsAfter: number;
  kill: () => void;
  promoted: () => Promise<boolean>;
  phaseTimeoutMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it holds (true) or `timeoutMs` passes (false). */
async function within(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(50);
  }
  return false;
}

export async function failoverUnderLoad(o: FailoverOptions): Promise<FailoverRun> {
  const app = new Lovage({ broker: o.broker, prefix: o.prefix, logLevel: 'silent' });
  const runs = new Map<number, { count: number; at: number }>();
  const work = app.task('failover.work', (n: number) => {
    const seen = runs.get(n);
    if (seen) seen.count++;
    else runs.set(n, { count: 1, at: Date.now() });
    return n;
  });
  const worker = app.worker({ queues: o.queues, concurrency: 20 });
  const sent: FailoverRun['sent'] = [];
  let producing = true;
  const producer = (async () => {
    for (let n = 0; producing; n++) {
      const queue = o.queues[n % o.queues.length]!;
      const { id } = await work.applyAsync([n], { queue });
      sent.push({ n, id, queue, at: Date.now() });
    }
  })();
  try {
    await worker.start();
    await within(() => sent.length >= o.sendsBefore, o.phaseTimeoutMs);
    const killedAt = Date.now();
    o.kill();
    const promoted = await within(o.promoted, o.phaseTimeoutMs);
    const promotedAt = Date.now();
    const atPromotion = sent.length;
    await within(() => sent.length >= atPromotion + o.sendsAfter, o.phaseTimeoutMs);
    producing = false;
    // The producer never saw an error: its sends waited through the failover (a throw fails the caller here).
    await producer;
    const allAfterRan = await within(() => sent.every((s) => s.at <= promotedAt || runs.has(s.n)), o.phaseTimeoutMs);
    return { sent, runs, killedAt, promotedAt, promoted, allAfterRan };
  } finally {
    producing = false;
    await producer.catch(() => undefined);
    await worker.close();
    await app.close();
  }
}

/** The tasks sent after the promotion that never ran: what a failing test reports, to find them in the broker. */
export function lostAfterPromotion(run: FailoverRun): FailoverRun['sent'] {
  return run.sent.filter((s) => s.at > run.promotedAt && !run.runs.has(s.n));
}

/** The counts a failover run is judged by. */
export function failoverSummary(run: FailoverRun): {
  sent: number;
  lost: number;
  /** Lost tasks sent after the promotion: none may be (those before were acknowledged by the dead master only). */
  lostAfterPromotion: number;
  sentAfterPromotion: number;
  ranTwice: number;
  promotionMs: number;
} {
  const lost = run.sent.filter((s) => !run.runs.has(s.n));
  return {
    sent: run.sent.length,
    lost: lost.length,
    lostAfterPromotion: lostAfterPromotion(run).length,
    sentAfterPromotion: run.sent.filter((s) => s.at > run.promotedAt).length,
    ranTwice: [...run.runs.values()].filter((r) => r.count > 1).length,
    promotionMs: run.promotedAt - run.killedAt,
  };
}
