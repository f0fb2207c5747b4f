'use client';

import { Button } from './button';
import { useToast } from './toast';

/** Copies text to the clipboard and says so. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const { toast } = useToast();
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      toast({ tone: 'success', title: 'Copied' });
    } catch {
      toast({ tone: 'error', title: 'Could not copy', description: 'The browser refused clipboard access.' });
    }
  }
  return (
    <Button variant="secondary" size="sm" onClick={() => void copy()} aria-label={label}>
      Copy
    </Button>
  );
}

/** Untrusted data (args, results, stack traces) as plain text in a scrollable block, with a copy button. */
export function CodeBlock({ text, label, maxHeight = 'max-h-80' }: { text: string; label: string; maxHeight?: string }) {
  return (
    <div className="relative">
      <div className="absolute top-2 right-2">
        <CopyButton text={text} label={`Copy ${label}`} />
      </div>
      <pre
        aria-label={label}
        className={`${maxHeight} overflow-auto rounded-md border border-line bg-surface p-3 pr-20 font-mono text-xs whitespace-pre-wrap break-all`}
      >
        {text}
      </pre>
    </div>
  );
}
