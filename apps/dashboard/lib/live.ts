// Live updates: join a socket.io room while a view is open and hand its events to the view,
// which folds them into the react-query cache (setQueryData, not refetches). After a dropped
// connection comes back the view catches up once (onReconnect), since events sent while it
// was away are gone.
import type { QueryClient, QueryKey } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { getSocket } from './socket';

import type { LiveRoom, LiveRoomName, LiveServerEvents, LiveSubscribeRequest, LiveTaskFilter } from '@lovage/gateway/api-types';

export type { LiveRoom, LiveTaskFilter };
export type LiveEventName = keyof LiveServerEvents;
export type LivePayload<E extends LiveEventName> = Parameters<LiveServerEvents[E]>[0];

/** The one event each room sends: `tasks` → 'tasks:update', `task:<id>` → 'task:update', … */
export type LiveEventOf<R extends LiveRoom> = R extends `task:${string}`
  ? 'task:update'
  : R extends `worker:${string}`
    ? 'worker:update'
    : R extends LiveRoomName
      ? `${R}:update`
      : never;

export function liveEventOf<R extends LiveRoom>(room: R): LiveEventOf<R> {
  if (room.startsWith('task:')) return 'task:update' as LiveEventOf<R>;
  if (room.startsWith('worker:')) return 'worker:update' as LiveEventOf<R>;
  return `${room}:update` as LiveEventOf<R>;
}

/** The client → gateway messages that join and leave a room (see the gateway's live/schemas.ts). */
const subscribeEvent = 'subscribe';
const unsubscribeEvent = 'unsubscribe';

export interface LiveHandlers<R extends LiveRoom> {
  /** Each update the room sends, typed by the gateway's live schemas. */
  onUpdate: (payload: LivePayload<LiveEventOf<R>>) => void;
  /** Called after a reconnect (not the first connect): refetch what may have been missed. */
  onReconnect?: () => void;
  /**
   * Called each time the gateway confirms the room is joined. A view whose data can change for
   * good in the moment between its first fetch and the join (a task that finishes at once)
   * refetches here, since updates sent before the join never reach it.
   */
  onJoined?: () => void;
}

/**
 * Joins `room` while mounted (and again after each reconnect) and hands its updates to
 * `onUpdate`. The tasks room takes a filter; changing it re-subscribes, which replaces the
 * socket's previous tasks filter. Two views listening to rooms of one kind (two workers, say)
 * both hear both rooms' updates: a view checks whose update it is.
 */
export function useLiveRoom<R extends LiveRoom>(room: R | null, handlers: LiveHandlers<R>, filter?: LiveTaskFilter): void {
  // The latest handlers without re-joining the room on every render.
  const latest = useRef(handlers);
  useEffect(() => {
    latest.current = handlers;
  });

  const filterKey = filter ? JSON.stringify(filter) : '';
  useEffect(() => {
    if (!room) return;
    const socket = getSocket();
    const event: LiveEventName = liveEventOf(room);
    let connectedBefore = socket.connected;
    const request: LiveSubscribeRequest = filterKey ? { room, filter: JSON.parse(filterKey) as LiveTaskFilter } : { room };
    const join = () => {
      socket.emit(subscribeEvent, request, (ack) => {
        if (ack.ok) latest.current.onJoined?.();
      });
    };
    const onConnect = () => {
      join();
      if (connectedBefore) latest.current.onReconnect?.();
      connectedBefore = true;
    };
    const onUpdate = (payload: LivePayload<LiveEventOf<R>>) => {
      latest.current.onUpdate(payload);
    };
    if (socket.connected) join();
    socket.on('connect', onConnect);
    socket.on(event, onUpdate);
    return () => {
      socket.off('connect', onConnect);
      socket.off(event, onUpdate);
      if (socket.connected) socket.emit(unsubscribeEvent, { room }, () => undefined);
    };
  }, [room, filterKey]);
}

/**
 * Listens to one more event of a room another hook joined (the task detail room's
 * 'task:logs' beside its 'task:update'), without joining or leaving the room itself,
 * and calls `onReconnect` after a dropped connection comes back.
 */
export function useLiveEvent<E extends LiveEventName>(event: E, onEvent: (payload: LivePayload<E>) => void, onReconnect?: () => void): void {
  const latest = useRef({ onEvent, onReconnect });
  useEffect(() => {
    latest.current = { onEvent, onReconnect };
  });
  useEffect(() => {
    const socket = getSocket();
    let connectedBefore = socket.connected;
    const handler = (payload: LivePayload<E>) => latest.current.onEvent(payload);
    const onConnect = () => {
      if (connectedBefore) latest.current.onReconnect?.();
      connectedBefore = true;
    };
    socket.on(event, handler as never);
    socket.on('connect', onConnect);
    return () => {
      socket.off(event, handler as never);
      socket.off('connect', onConnect);
    };
  }, [event]);
}

/**
 * Writes a live update into one cached query. A fetch of that query already in flight read the
 * gateway before this update was stored, and its answer would overwrite the update with the
 * older state (a task page stuck on STARTED). The gateway sends an update only after storing
 * it, so that fetch is replaced by a new one, whose answer holds it. It is cancelled first: a
 * query's first fetch (no data yet, so the update had nothing to merge into) is not cancelled by
 * an invalidation, which would wait for that fetch's stale answer instead (a task page opened
 * just as the task finished, stuck on PENDING).
 */
export function foldLiveUpdate<T>(queryClient: QueryClient, queryKey: QueryKey, update: (current: T | undefined) => T | undefined): void {
  queryClient.setQueryData<T>(queryKey, update);
  if (queryClient.isFetching({ queryKey, exact: true }) > 0) {
    void queryClient
      .cancelQueries({ queryKey, exact: true })
      .then(() => queryClient.invalidateQueries({ queryKey, exact: true }));
  }
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
