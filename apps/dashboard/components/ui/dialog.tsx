'use client';

// A modal on the native <dialog>: the browser gives focus trapping, Escape to close, the
// backdrop and the inert page behind it, so there is nothing to re-implement.
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { Button } from './button';

/** The modal itself: shown while `open`, titled, with `description` and then `children`; `wide` for forms. */
export function Modal({
  open,
  title,
  description,
  onCancel,
  wide = false,
  children,
}: {
  open: boolean;
  title: string;
  description?: ReactNode;
  onCancel: () => void;
  wide?: boolean;
  children: (titleId: string) => ReactNode;
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
      className={`m-auto w-full ${wide ? 'max-w-2xl' : 'max-w-md'} rounded-lg border border-line bg-surface-raised p-5 text-ink shadow-xl backdrop:bg-black/40`}
    >
      <h2 id={titleId} className="text-lg font-semibold">
        {title}
      </h2>
      {description ? <div className="mt-2 text-sm text-ink-muted">{description}</div> : null}
      {children(titleId)}
    </dialog>
  );
}

/** Cancel, then the dialog's own confirm button. */
export function DialogButtons({ onCancel, busy, children }: { onCancel: () => void; busy: boolean; children: ReactNode }) {
  return (
    <div className="mt-5 flex justify-end gap-2">
      <Button variant="secondary" onClick={onCancel} disabled={busy}>
        Cancel
      </Button>
      {children}
    </div>
  );
}

interface ConfirmProps {
  open: boolean;
  title: string;
  children?: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
}

export function ConfirmDialog({ open, title, children, confirmLabel, onConfirm, onCancel, busy = false }: ConfirmProps) {
  return (
    <Modal open={open} title={title} description={children} onCancel={onCancel}>
      {() => (
        <DialogButtons onCancel={onCancel} busy={busy}>
          <Button variant="danger" onClick={onConfirm} disabled={busy}>
            {confirmLabel}
          </Button>
        </DialogButtons>
      )}
    </Modal>
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
}: ConfirmProps & { expected: string; inputLabel: string }) {
  const [typed, setTyped] = useState('');
  const [wasOpen, setWasOpen] = useState(open);
  if (wasOpen !== open) {
    setWasOpen(open);
    if (open) setTyped('');
  }

  return (
    <Modal open={open} title={title} description={children} onCancel={onCancel}>
      {(titleId) => (
        <form
          className="mt-4"
          onSubmit={(event) => {
            event.preventDefault();
            if (typed === expected) onConfirm();
          }}
        >
          <label htmlFor={`${titleId}-input`} className="mb-1 block text-sm font-medium">
            {inputLabel}
          </label>
          <input
            id={`${titleId}-input`}
            value={typed}
            autoComplete="off"
            onChange={(event) => setTyped(event.target.value)}
            className="block w-full rounded-md border border-line bg-surface px-3 py-2 text-sm text-ink"
          />
          <DialogButtons onCancel={onCancel} busy={busy}>
            <Button type="submit" variant="danger" disabled={busy || typed !== expected}>
              {confirmLabel}
            </Button>
          </DialogButtons>
        </form>
      )}
    </Modal>
  );
}

/**
 * A small form in a modal (one setting to edit, say): `children` are its labelled fields,
 * Enter or the submit button calls `onSubmit`, Escape or Cancel calls `onCancel`.
 */
export function FormDialog({
  open,
  title,
  description,
  children,
  submitLabel,
  onSubmit,
  onCancel,
  busy = false,
  wide = false,
}: {
  open: boolean;
  title: string;
  description?: ReactNode;
  children: ReactNode;
  submitLabel: string;
  onSubmit: () => void;
  onCancel: () => void;
  busy?: boolean;
  /** A form of several fields. */
  wide?: boolean;
}) {
  return (
    <Modal open={open} title={title} description={description} onCancel={onCancel} wide={wide}>
      {() => (
        <form
          className="mt-4"
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            onSubmit();
          }}
        >
          {children}
          <DialogButtons onCancel={onCancel} busy={busy}>
            <Button type="submit" disabled={busy}>
              {submitLabel}
            </Button>
          </DialogButtons>
        </form>
      )}
    </Modal>
  );
}
