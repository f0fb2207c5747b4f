import type { ReactNode } from 'react';

/** A table with a caption for screen readers and one column heading per entry. */
function Table({
  caption,
  className,
  headings,
  children,
}: {
  caption: string;
  className: string;
  headings: readonly { label: ReactNode; className: string }[];
  children: ReactNode;
}) {
  return (
    <table className={`w-full text-left text-sm ${className}`}>
      <caption className="sr-only">{caption}</caption>
      <thead className="text-xs text-ink-muted uppercase">
        <tr>
          {headings.map((heading, index) => (
            <th key={index} scope="col" className={`font-medium ${heading.className}`}>
              {heading.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/**
 * The box a wide table scrolls sideways in. It is a labelled region in the tab order, so a
 * keyboard user can scroll it with the arrow keys even when the table holds nothing focusable.
 */
export function ScrollRegion({ label, className = '', children }: { label: string; className?: string; children: ReactNode }) {
  return (
    <div role="region" aria-label={label} tabIndex={0} className={`overflow-x-auto focus-visible:outline-2 focus-visible:outline-accent ${className}`}>
      {children}
    </div>
  );
}

/**
 * A list page's table: scrolls sideways inside its own box on narrow screens, one column
 * heading per entry ('' is an unlabelled actions column). `minWidth` is a Tailwind class such
 * as 'min-w-[720px]'.
 */
export function DataTable({
  caption,
  headings,
  minWidth,
  children,
}: {
  caption: string;
  headings: readonly string[];
  minWidth: string;
  children: ReactNode;
}) {
  return (
    <ScrollRegion label={caption} className="rounded-lg border border-line bg-surface-raised">
      <Table
        caption={caption}
        className={minWidth}
        headings={headings.map((label) => ({ label: label || <span className="sr-only">Actions</span>, className: 'px-3 py-2' }))}
      >
        {children}
      </Table>
    </ScrollRegion>
  );
}

/** A small table inside a card: no box of its own, numbers right-aligned. */
export function CompactTable({
  caption,
  columns,
  children,
}: {
  caption: string;
  columns: readonly { label: string; numeric?: boolean }[];
  children: ReactNode;
}) {
  return (
    <ScrollRegion label={caption}>
      <Table
        caption={caption}
        className=""
        headings={columns.map((column, index) => ({
          label: column.label,
          className: `py-1 ${index < columns.length - 1 ? 'pr-3' : ''} ${column.numeric ? 'text-right' : ''}`,
        }))}
      >
        {children}
      </Table>
    </ScrollRegion>
  );
}
