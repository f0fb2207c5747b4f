// The demo's Lovage app: the seed's Django example written in TypeScript, plus a
// CPU-bound task for the threads pool and one that outruns its soft time limit.
//
// This module only declares the app and its tasks, so that anything may import
// it cheaply: `lovage worker --app apps/demo/src/app.ts`, `lovage beat`, and each
// thread of a threads pool. The database opens on first use.
import { createHash } from 'node:crypto';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Lovage, NonRetriableError, Reject, chain, chord, crontab, currentTask, group, type LogLevel } from '@lovage/engine';
import { engineLogLevel, loadDemoConfig } from './config.js';
import { openDemoStore, type DemoStore } from './store.js';

export const app = Lovage.fromEnv({
  name: 'demo',
  namespace: 'LOVAGE',
  logLevel: engineLogLevel() as LogLevel,
  beatSchedule: {
    'daily-report': {
      task: 'reports.generateDailyReport',
      schedule: crontab({ hour: 8, minute: 0 }),
      description: 'Yesterday in numbers, every morning at 08:00 UTC',
    },
    'cleanup-every-hour': {
      task: 'maintenance.cleanupTempFiles',
      schedule: '1h',
      description: 'Deletes thumbnails older than an hour',
    },
  },
});

/** The queue of the CPU-bound tasks, served by a worker with the threads pool. */
export const imagesQueue = 'images';

// ---------------------------------------------------------------------------
// The database the tasks read, opened on first use (main.ts hands over its own).

let store: Promise<DemoStore> | undefined;

/** Lets the process that already opened the database share it with the tasks. */
export function useDemoStore(opened: DemoStore): void {
  store = Promise.resolve(opened);
}

function demoStore(): Promise<DemoStore> {
  store ??= openDemoStore(loadDemoConfig());
  return store;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

// ---------------------------------------------------------------------------
// users.sendWelcomeEmail: dispatched after the sign-up transaction commits.

export const sendWelcomeEmail = app.task('users.sendWelcomeEmail', async (userId: number) => {
  const { prisma } = await demoStore();
  const user = await prisma.user.findUniqueOrThrow({ where: { id: userId } });
  await sleep(50 + Math.random() * 150); // the mail provider's round trip
  await prisma.user.update({ where: { id: userId }, data: { welcomeSentAt: new Date() } });
  return `sent to ${user.email}`;
});

// ---------------------------------------------------------------------------
// analytics.trackEvent: nobody reads the outcome, so no result is stored.

export const trackEvent = app.task(
  'analytics.trackEvent',
  async (event: string, userId: number) => {
    await sleep(5 + Math.random() * 20); // the analytics endpoint
    return { event, userId };
  },
  { ignoreResult: true },
);

// ---------------------------------------------------------------------------
// payments.callPaymentApi: the provider times out now and then; retry with
// exponential backoff and full jitter (a random delay up to 1 s, then up to
// 2 s, then up to 4 s), at most 3 times.

export class PaymentGatewayTimeout extends Error {
  override name = 'PaymentGatewayTimeout';
}

/** A declined card will not get better by retrying. */
export class CardDeclined extends NonRetriableError {
  override name = 'CardDeclined';
}

async function processPayment(orderId: number, amountCents: number): Promise<string> {
  await sleep(100 + Math.random() * 300);
  if (Math.random() < 0.35) throw new PaymentGatewayTimeout(`payment provider did not answer for order ${orderId} within 5s`);
  if (amountCents % 97 === 0) throw new CardDeclined(`card declined for order ${orderId}`);
  return `ch_${createHash('sha1').update(String(orderId)).digest('hex').slice(0, 14)}`;
}

const paymentMaxRetries = 3;

/** Orders of this amount or more wait for a person: their message goes to the dead-letter queue. */
export const reviewThresholdCents = 100_000;

export const callPaymentApi = app.task(
  'payments.callPaymentApi',
  async (orderId: number) => {
    const { prisma } = await demoStore();
    const order = await prisma.order.findUniqueOrThrow({ where: { id: orderId } });
    if (order.amountCents >= reviewThresholdCents) {
      // Parked for a fraud check: an operator requeues it from the dashboard's dead letters.
      await prisma.order.update({ where: { id: orderId }, data: { status: 'review' } });
      throw new Reject(`order ${orderId} (${order.amountCents / 100} USD) needs a manual fraud review`);
    }
    try {
      const charge = await processPayment(order.id, order.amountCents);
      await prisma.order.update({ where: { id: orderId }, data: { status: 'paid', paidAt: new Date() } });
      return { orderId, charge };
    } catch (exc) {
      const task = currentTask();
      // Out of retries, retry() throws exc itself; record the outcome first.
      if (exc instanceof PaymentGatewayTimeout && task.retries < paymentMaxRetries) throw task.retry({ exc });
      await prisma.order.update({ where: { id: orderId }, data: { status: 'failed' } });
      throw exc;
    }
  },
  { maxRetries: paymentMaxRetries, retryBackoff: '1s', retryBackoffMax: '30s' },
);

// ---------------------------------------------------------------------------
// The two periodic tasks of the seed (see beatSchedule above).

export const generateDailyReport = app.task('reports.generateDailyReport', async () => {
  const { prisma } = await demoStore();
  const since = new Date(Date.now() - 24 * 3600_000);
  const [signUps, paid, failed] = await Promise.all([
    prisma.user.count({ where: { createdAt: { gte: since } } }),
    prisma.order.count({ where: { status: 'paid', paidAt: { gte: since } } }),
    prisma.order.count({ where: { status: 'failed', createdAt: { gte: since } } }),
  ]);
  return { since: since.toISOString(), signUps, paidOrders: paid, failedOrders: failed };
});

/** Where the thumbnails go; cleanupTempFiles empties it. */
export const thumbnailDir = path.join(tmpdir(), 'lovage-demo-thumbnails');

export const cleanupTempFiles = app.task('maintenance.cleanupTempFiles', async (maxAgeMs: number = 3600_000) => {
  const entries = await readdir(thumbnailDir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of entries) {
    const file = path.join(thumbnailDir, name);
    const { mtimeMs } = await stat(file);
    if (Date.now() - mtimeMs < maxAgeMs) continue;
    await rm(file, { force: true });
    removed += 1;
  }
  return { removed, kept: entries.length - removed };
});

// ---------------------------------------------------------------------------
// images.makeThumbnail: CPU-bound (a blur and a downscale of a generated
// picture), on the `images` queue that a threads-pool worker serves, so it
// never stalls the event loop the I/O tasks share.

export const makeThumbnail = app.task(
  'images.makeThumbnail',
  async (imageId: number, width: number = 160) => {
    const source = { width: 1200, height: 800 };
    const pixels = new Uint8Array(source.width * source.height);
    let seed = imageId * 2654435761;
    for (let i = 0; i < pixels.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      pixels[i] = seed >>> 24;
    }
    const blurred = new Uint8Array(pixels.length);
    for (let y = 1; y < source.height - 1; y++) {
      for (let x = 1; x < source.width - 1; x++) {
        let sum = 0;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) sum += pixels[(y + dy) * source.width + x + dx]!;
        blurred[y * source.width + x] = sum / 9;
      }
    }
    const scale = source.width / width;
    const height = Math.round(source.height / scale);
    const thumbnail = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) thumbnail[y * width + x] = blurred[Math.floor(y * scale) * source.width + Math.floor(x * scale)]!;
    }
    await mkdir(thumbnailDir, { recursive: true });
    const file = path.join(thumbnailDir, `${imageId}-${width}.gray`);
    await writeFile(file, thumbnail);
    return { imageId, width, height, bytes: thumbnail.length };
  },
  { queue: imagesQueue, timeLimit: '30s' },
);

// ---------------------------------------------------------------------------
// reports.exportLedger: a slow export whose soft time limit (2 s) fires when
// it is asked for too many rows. The task hears it on its AbortSignal, drops the
// partial file and fails with SoftTimeLimitExceeded; the hard limit is a backstop.

export const exportLedger = app.task(
  'reports.exportLedger',
  async (rows: number) => {
    const { signal } = currentTask();
    const written: number[] = [];
    for (let row = 0; row < rows; row++) {
      await sleep(10, signal); // rejects with SoftTimeLimitExceeded when the soft limit passes
      written.push(row);
    }
    return { rows: written.length };
  },
  { softTimeLimit: '2s', timeLimit: '10s', maxRetries: 0 },
);

// ---------------------------------------------------------------------------
// reports.regionalSales: a workflow (canvas). A chain snapshots the orders, then
// a chord summarises each region in parallel and merges the summaries into one
// report once every region is done. The dashboard draws it as a graph on each
// member's page. One region's warehouse ("offline" below) is down until an
// operator retries it, so the demo also shows a failed member stopping the
// join and "Retry failed members" completing it.

export const defaultRegions = ['north', 'south', 'east', 'west'];

export class WarehouseOffline extends NonRetriableError {
  override name = 'WarehouseOffline';
}

export const snapshotOrders = app.task('reports.snapshotOrders', async () => {
  const { prisma } = await demoStore();
  return { takenAt: new Date().toISOString(), orders: await prisma.order.count() };
});

export const summarizeRegion = app.task('reports.summarizeRegion', async (snapshot: { orders: number }, region: string) => {
  await sleep(50 + Math.random() * 200); // the region's warehouse database
  // A region named "offline" answers only when an operator retries it (the retry carries retriedFrom).
  if (region === 'offline' && currentTask().headers.retriedFrom === undefined) {
    throw new WarehouseOffline(`the ${region} warehouse did not answer`);
  }
  const share = [...region].reduce((sum, ch) => sum + ch.charCodeAt(0), 0) % 7;
  return { region, orders: Math.round((snapshot.orders * (share + 1)) / 28) };
});

export const mergeRegions = app.task('reports.mergeRegions', (summaries: { region: string; orders: number }[]) => ({
  regions: summaries.map((summary) => summary.region),
  orders: summaries.reduce((sum, summary) => sum + summary.orders, 0),
}));

/** The workflow: snapshot → one summary per region (in parallel) → merge. */
export function regionalSalesWorkflow(regions: string[]) {
  return chain(snapshotOrders.si(), chord(group(regions.map((region) => summarizeRegion.s(region))), mergeRegions.s()));
}

// ---------------------------------------------------------------------------
// reports.build: a long report rendered page by page, reporting its progress and
// writing a log line per page, so the task page shows a live progress bar and log.

export const buildReport = app.task('reports.build', async (pages: number = 12, msPerPage: number = 400) => {
  const task = currentTask();
  task.log(`building a report of ${pages} pages`, { pages });
  let words = 0;
  for (let page = 1; page <= pages; page++) {
    await sleep(msPerPage, task.signal);
    const pageWords = 200 + ((page * 7919) % 300);
    words += pageWords;
    task.progress(page / pages, { page, pages });
    if (page % 5 === 0) task.logger.warn({ page, words: pageWords }, `page ${page} is long\nsplitting it in two columns`);
    else task.logger.info({ page, words: pageWords }, `rendered page ${page} of ${pages}`);
  }
  task.log('report ready', { pages, words });
  return { pages, words };
});

/** Starts the workflow from a task, so it can be sent by name (the dashboard's "Send a task"). */
export const startRegionalSales = app.task('reports.regionalSales', async (regions: string[] = defaultRegions) => {
  const last = await regionalSalesWorkflow(regions).applyAsync();
  return { regions, reportTaskId: last.id };
});

