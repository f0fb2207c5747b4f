// Where the Schedules page's schedules live: the gateway's own Lovage app's
// schedule store, and, for each watched Celery cluster, the store of the Lovage
// beat that runs in Celery mode beside it (`lovage beat --protocol celery`, or
// `app.beat()` on an app with `protocol: 'celery'`). That beat keeps its
// schedules on Lovage's keys (`LOVAGE_CELERY_BEAT_PREFIX`) of the cluster's
// Redis, so a store opened there sees and edits what the beat runs.
import { Lovage, type Schedules } from '@lovage/engine';
import type { ScheduleEntry } from '@lovage/engine/beat';
import type { Schedule } from './monitor-schemas.js';
import type { CeleryClusterConfig } from '../config.js';
import { GatewayError, NotFoundError } from '../errors.js';

export class NoScheduleStoreError extends GatewayError {
  constructor() {
    super('NO_ENGINE', 404, 'This gateway has no engine app: its own schedules live in a broker it does not know (give ?cluster= for a Celery cluster\'s)');
  }
}

/** One schedule store, and the cluster it belongs to (null: the gateway's own app). */
export interface ScheduleSource {
  cluster: string | null;
  schedules: Schedules;
}

/** A stored schedule as the API shows it: the engine's entry and where it lives. */
export function scheduleOf(entry: ScheduleEntry, cluster: string | null): Schedule {
  return { ...entry, cluster };
}

/** The Redis an app keeps its schedules on: its broker's, or its backend's when the broker is not Redis (amqp://). */
function storeUrl(broker: string, backend: string): string {
  return /^rediss?:/.test(broker) ? broker : backend;
}

/** One Redis database, however its URL is written (`redis://h` and `redis://h:6379/0` are the same). */
function redisDatabase(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '6379'}/${parsed.pathname.replace(/^\//, '') || '0'}`;
  } catch {
    return url;
  }
}

export class ScheduleSources {
  private readonly clusters = new Map<string, Lovage>();
  private readonly editListeners = new Set<(name: string) => void>();

  constructor(
    private readonly own: Lovage | null,
    clusters: readonly CeleryClusterConfig[],
  ) {
    const ownStore = own ? `${redisDatabase(storeUrl(own.config.broker, own.config.backend))} ${own.config.prefix}` : null;
    for (const cluster of clusters) {
      const url = storeUrl(cluster.url, cluster.resultBackend);
      // A beat on the gateway's own app's keys (the same Redis and prefix) keeps the own store: shown once, as the own app's.
      if (`${redisDatabase(url)} ${cluster.beatPrefix}` === ownStore) continue;
      // A store only: the app connects when first asked, and never consumes, sends or listens.
      this.clusters.set(cluster.name, new Lovage({ name: `lovage-gateway-${cluster.name}`, broker: url, prefix: cluster.beatPrefix }));
    }
  }

  /** Whether the gateway can show any schedule at all. */
  get available(): boolean {
    return this.own !== null || this.clusters.size > 0;
  }

  /** Every store: the gateway's own first, then each cluster's in configuration order. */
  all(): ScheduleSource[] {
    return [
      ...(this.own ? [{ cluster: null, schedules: this.own.schedules }] : []),
      ...[...this.clusters].map(([cluster, app]) => ({ cluster, schedules: app.schedules })),
    ];
  }

  /** The store of `cluster` (a watched Celery cluster's name), or the gateway's own when it is null or undefined. */
  of(cluster: string | null | undefined): Schedules {
    if (cluster === null || cluster === undefined) {
      if (!this.own) throw new NoScheduleStoreError();
      return this.own.schedules;
    }
    const app = this.clusters.get(cluster);
    if (!app) throw new NotFoundError(`no Celery cluster named ${JSON.stringify(cluster)} is watched by this gateway`);
    return app.schedules;
  }

  /** Told by the schedule actions after each edit (the live feed refreshes its schedules room at once). */
  onEdited(listener: (name: string) => void): () => void {
    this.editListeners.add(listener);
    return () => this.editListeners.delete(listener);
  }

  edited(name: string): void {
    for (const listener of this.editListeners) listener(name);
  }

  async close(): Promise<void> {
    await Promise.all([...this.clusters.values()].map((app) => app.close()));
  }
}
