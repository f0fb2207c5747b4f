// One shared clock for every "2 s ago" on the page: a single interval, however many readers.
import { useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setInterval> | undefined;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  timer ??= setInterval(() => {
    now = Date.now();
    for (const notify of listeners) notify();
  }, 1_000);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

/**
 * `derive(now)`, re-rendering the caller only when it changes: a "5 min ago" is recomputed each
 * second but redrawn once a minute. `derive` must return a primitive (compared with Object.is).
 */
export function useClock<T extends string | number | boolean>(derive: (now: number) => T, beforeHydration: T): T {
  return useSyncExternalStore(
    subscribe,
    () => derive(now),
    () => beforeHydration,
  );
}
