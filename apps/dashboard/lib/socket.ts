// The live feed: one socket.io connection per tab to the gateway, opened on first use.
// socket.io needs a long-lived connection that the dashboard's /api forwarding does not carry,
// so it goes to the gateway's public address directly. The session cookie still goes along:
// cookies are per host, not per port, so the default (same host, port 5555) is same-site.
import { useEffect, useSyncExternalStore } from 'react';
import { io, type Socket } from 'socket.io-client';
import { gatewayPublicUrl } from './gateway-url';

import type { LiveClientEvents, LiveServerEvents } from '@lovage/gateway/api-types';

/** The live feed's socket, typed by the gateway's live schemas both ways. */
export type LiveSocket = Socket<LiveServerEvents, LiveClientEvents>;

export type SocketState = 'idle' | 'connecting' | 'connected' | 'disconnected';

let socket: LiveSocket | undefined;
let state: SocketState = 'idle';
const listeners = new Set<() => void>();

function setState(next: SocketState) {
  if (state === next) return;
  state = next;
  for (const listener of listeners) listener();
}

/** The tab's socket, created and connected on the first call. */
export function getSocket(): LiveSocket {
  if (!socket) {
    socket = io(gatewayPublicUrl(), {
      withCredentials: true,
      autoConnect: false,
      transports: ['websocket', 'polling'],
    });
    socket.on('connect', () => setState('connected'));
    socket.on('disconnect', () => setState('disconnected'));
    socket.on('connect_error', () => setState('disconnected'));
    socket.io.on('reconnect_attempt', () => setState('connecting'));
    setState('connecting');
    socket.connect();
  }
  return socket;
}

/** Ends the connection (on sign-out); the next getSocket() opens a fresh one with the new session. */
export function closeSocket(): void {
  socket?.disconnect();
  socket = undefined;
  setState('idle');
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The connection's state for a "live" indicator; it opens the connection when `connect` is true. */
export function useSocketState({ connect = true }: { connect?: boolean } = {}): SocketState {
  useEffect(() => {
    if (connect) getSocket();
  }, [connect]);
  return useSyncExternalStore(
    subscribe,
    () => state,
    () => 'idle',
  );
}
