'use client';

import { Field } from './ui/field';

/** A labelled monospace editor for JSON, its parse error shown inline and read with it. */
export function JsonField({
  label,
  hint,
  value,
  error,
  rows = 5,
  onChange,
}: {
  label: string;
  hint?: string;
  value: string;
  error?: string | undefined;
  rows?: number;
  onChange: (value: string) => void;
}) {
  return (
    <Field label={label} hint={hint} error={error}>
      {(props) => (
        <textarea
          {...props}
          rows={rows}
          value={value}
          spellCheck={false}
          autoComplete="off"
          onChange={(event) => onChange(event.target.value)}
          className="block w-full rounded-md border border-line bg-surface px-3 py-2 font-mono text-sm text-ink aria-[invalid=true]:border-bad"
        />
      )}
    </Field>
  );
}
