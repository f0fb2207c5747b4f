'use client';

// A modal on the native <dialog>: the browser gives focus trapping, Escape to close, the
// backdrop and the inert page behind it, so there is nothing to re-implement.
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { Button } from './button';

export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  onConfirm,
  onCancel,
  busy = false,
}: {
  open: boolean;
  title: string;
  children?: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
      className="m-auto w-full max-w-md rounded-lg border border-line bg-surface-raised p-5 text-ink shadow-xl backdrop:bg-black/40"
    >
      <h2 id={titleId} className="text-lg font-semibold">
        {title}
      </h2>
      {children ? <div className="mt-2 text-sm text-ink-muted">{children}</div> : null}
      <div className="mt-5 flex justify-end gap-2">
        <Button variant="secondary" onClick={onCancel} disabled={busy}>
          Cancel
        </Button>
        <Button variant="danger" onClick={onConfirm} disabled={busy}>
          {confirmLabel}
        </Button>
      </div>
    </dialog>
  );
}

/**
 * A confirmation for what cannot be undone: the confirm button works only once the user has
 * typed `expected` (a queue's name, say), so a stray click or Enter cannot do it.
 */
export function TypedConfirmDialog({
  open,
  title,
  children,
  expected,
  inputLabel,
  confirmLabel,
  onConfirm,
  onCancel,
  busy = false,
}: {
  open: boolean;
  title: string;
  children?: ReactNode;
  expected: string;
  inputLabel: string;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  const [typed, setTyped] = useState('');
  const [wasOpen, setWasOpen] = useState(open);
  if (wasOpen !== open) {
    setWasOpen(open);
    if (open) setTyped('');
  }

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  return (
    <dialog
      ref={ref}
      aria-labelledby={`${id}-title`}
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
      className="m-auto w-full max-w-md rounded-lg border border-line bg-surface-raised p-5 text-ink shadow-xl backdrop:bg-black/40"
    >
      <h2 id={`${id}-title`} className="text-lg font-semibold">
        {title}
      </h2>
      {children ? <div className="mt-2 text-sm text-ink-muted">{children}</div> : null}
      <form
        className="mt-4"
        onSubmit={(event) => {
          event.preventDefault();
          if (typed === expected) onConfirm();
        }}
      >
        <label htmlFor={`${id}-input`} className="mb-1 block text-sm font-medium">
          {inputLabel}
        </label>
        <input
          id={`${id}-input`}
          value={typed}
          autoComplete="off"
          onChange={(event) => setTyped(event.target.value)}
          className="block w-full rounded-md border border-line bg-surface px-3 py-2 text-sm text-ink"
        />
        <div className="mt-5 flex justify-end gap-2">
          <Button variant="secondary" onClick={onCancel} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" variant="danger" disabled={busy || typed !== expected}>
            {confirmLabel}
          </Button>
        </div>
      </form>
    </dialog>
  );
}
