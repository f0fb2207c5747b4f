// Live values that drive something costly to redraw (a chart): the latest value, handed on at
// most once per interval, so a feed that changes every second redraws the chart every few; and
// the same for work a live event asks for (a refetch).
import { useEffect, useMemo, useRef, useState } from 'react';

/** `value` as of the last hand-over; changes within `ms` of it wait and arrive together. */
export function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const shownAt = useRef(0);
  useEffect(() => {
    if (Object.is(value, shown)) return;
    const timer = setTimeout(
      () => {
        shownAt.current = Date.now();
        setShown(value);
      },
      Math.max(0, shownAt.current + ms - Date.now()),
    );
    return () => clearTimeout(timer);
  }, [value, shown, ms]);
  return shown;
}

/**
 * `callback`, called at most once per `ms`: the first request waits out the rest of the
 * interval since the last call, and requests made while one waits join it (a burst of live
 * updates becomes one refetch).
 */
export function useThrottledCallback(callback: () => void, ms: number): () => void {
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latest = useRef(callback);
  useEffect(() => {
    latest.current = callback;
  });
  useEffect(() => () => clearTimeout(timer.current), []);
  return useMemo(
    () => () => {
      if (timer.current !== undefined) return;
      timer.current = setTimeout(
        () => {
          timer.current = undefined;
          last.current = Date.now();
          latest.current();
        },
        Math.max(0, last.current + ms - Date.now()),
      );
    },
    [ms],
  );
}
