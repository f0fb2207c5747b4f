'use client';

import { getSocket, useSocketState } from '@/lib/socket';

const labels = {
  idle: 'Live: off',
  connecting: 'Live: connecting…',
  connected: 'Live',
  disconnected: 'Live: disconnected',
} as const;

/** Whether live updates are flowing, with a way to reconnect when they are not. */
export function LiveIndicator() {
  const state = useSocketState();
  const tone = state === 'connected' ? 'text-ok' : state === 'disconnected' ? 'text-bad' : 'text-ink-muted';
  return (
    <div className="flex items-center gap-2 text-sm">
      <p role="status" aria-label="Live updates" className={`inline-flex items-center gap-1.5 font-medium ${tone}`}>
        {/* A still dot: a pulse here would repaint every frame of a page left open all day. */}
        <span aria-hidden="true" className="inline-block size-2 rounded-full bg-current" />
        {labels[state]}
      </p>
      {state === 'disconnected' ? (
        <button
          type="button"
          className="rounded px-1.5 text-xs text-accent underline"
          onClick={() => getSocket().connect()}
        >
          Reconnect
        </button>
      ) : null}
    </div>
  );
}
