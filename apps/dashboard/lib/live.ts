// Live updates: join a socket.io room while a view is open and hand its events to the view,
// which folds them into the react-query cache (setQueryData, not refetches). After a dropped
// connection comes back the view catches up once (onReconnect), since events sent while it
// was away are gone.
import { useEffect, useRef } from 'react';
import { getSocket } from './socket';

import type { LiveRoom, LiveServerEvents, LiveSubscribeRequest, LiveTaskFilter } from '@lovage/gateway/api-types';

export type { LiveRoom, LiveTaskFilter };
export type LiveEventName = keyof LiveServerEvents;
export type LivePayload<E extends LiveEventName> = Parameters<LiveServerEvents[E]>[0];

/** The client → gateway messages that join and leave a room (see the gateway's live/schemas.ts). */
const subscribeEvent = 'subscribe';
const unsubscribeEvent = 'unsubscribe';

export interface LiveHandlers {
  onEvent: (event: string, payload: unknown) => void;
  /** Called after a reconnect (not the first connect): refetch what may have been missed. */
  onReconnect?: () => void;
}

/**
 * Joins `room` while mounted (and again after each reconnect). The tasks room takes a filter;
 * changing it re-subscribes, which replaces the socket's previous tasks filter.
 */
export function useLiveRoom(room: LiveRoom | null, handlers: LiveHandlers, filter?: LiveTaskFilter): void {
  // The latest handlers without re-joining the room on every render.
  const latest = useRef(handlers);
  useEffect(() => {
    latest.current = handlers;
  });

  const filterKey = filter ? JSON.stringify(filter) : '';
  useEffect(() => {
    if (!room) return;
    const socket = getSocket();
    let connectedBefore = socket.connected;
    const request: LiveSubscribeRequest = filterKey ? { room, filter: JSON.parse(filterKey) as LiveTaskFilter } : { room };
    const join = () => {
      socket.emit(subscribeEvent, request);
    };
    const onConnect = () => {
      join();
      if (connectedBefore) latest.current.onReconnect?.();
      connectedBefore = true;
    };
    const onAny = (event: string, payload: unknown) => {
      latest.current.onEvent(event, payload);
    };
    if (socket.connected) join();
    socket.on('connect', onConnect);
    socket.onAny(onAny);
    return () => {
      socket.off('connect', onConnect);
      socket.offAny(onAny);
      if (socket.connected) socket.emit(unsubscribeEvent, { room });
    };
  }, [room, filterKey]);
}

/**
 * Collects items and hands them over in one batch per `ms`, so a burst of a thousand task
 * events becomes a few cache writes instead of a thousand renders.
 */
export function createBatcher<T>(ms: number, flush: (items: T[]) => void) {
  let items: T[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    push(item: T) {
      items.push(item);
      timer ??= setTimeout(() => {
        timer = undefined;
        const batch = items;
        items = [];
        flush(batch);
      }, ms);
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      items = [];
    },
  };
}

/** Whether a value looks like an object with the given string-valued keys. */
export function hasStringFields<K extends string>(value: unknown, ...keys: K[]): value is Record<K, string> {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return keys.every((key) => typeof record[key] === 'string');
}
