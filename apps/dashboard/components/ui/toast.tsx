'use client';

// Short-lived notices ("User added", "Could not revoke the token"). One polite live region
// that is always in the page, so screen readers announce each toast as it is added.
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';

export type ToastTone = 'success' | 'error' | 'info';

interface Toast {
  id: number;
  title: string;
  description?: string | undefined;
  tone: ToastTone;
}

interface ToastApi {
  toast: (toast: { title: string; description?: string; tone?: ToastTone }) => void;
  dismiss: (id: number) => void;
}

const ToastContext = createContext<ToastApi | null>(null);

const toneClasses: Record<ToastTone, string> = {
  success: 'border-ok/50',
  error: 'border-bad/60',
  info: 'border-line',
};

const visibleMs = 6_000;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);

  const dismiss = useCallback((id: number) => {
    setToasts((current) => current.filter((toast) => toast.id !== id));
  }, []);

  const toast = useCallback<ToastApi['toast']>(
    ({ title, description, tone = 'info' }) => {
      const id = nextId.current++;
      setToasts((current) => [...current.slice(-4), { id, title, description, tone }]);
      window.setTimeout(() => dismiss(id), visibleMs);
    },
    [dismiss],
  );

  const api = useMemo(() => ({ toast, dismiss }), [toast, dismiss]);

  return (
    <ToastContext.Provider value={api}>
      {children}
      <div
        role="status"
        aria-live="polite"
        aria-label="Notifications"
        className="pointer-events-none fixed right-4 bottom-4 z-50 flex w-80 max-w-[calc(100vw-2rem)] flex-col gap-2"
      >
        {toasts.map((item) => (
          <div
            key={item.id}
            className={`pointer-events-auto flex items-start gap-3 rounded-md border-2 bg-surface-raised px-3 py-2 text-sm shadow-lg ${toneClasses[item.tone]}`}
          >
            <div className="flex-1">
              <p className={`font-medium ${item.tone === 'error' ? 'text-bad' : 'text-ink'}`}>{item.title}</p>
              {item.description ? <p className="mt-0.5 text-ink-muted">{item.description}</p> : null}
            </div>
            <button
              type="button"
              onClick={() => dismiss(item.id)}
              className="rounded px-1 text-ink-muted hover:text-ink"
              aria-label={`Dismiss: ${item.title}`}
            >
              <span aria-hidden="true">×</span>
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast(): ToastApi {
  const api = useContext(ToastContext);
  if (!api) throw new Error('useToast() needs a <ToastProvider> above it (components/providers.tsx)');
  return api;
}
