// Live values that drive something costly to redraw (a chart): the latest value, handed on at
// most once per interval, so a feed that changes every second redraws the chart every few.
import { useEffect, useRef, useState } from 'react';

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
