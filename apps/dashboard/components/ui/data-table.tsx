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
    <div className="overflow-x-auto rounded-lg border border-line bg-surface-raised">
      <Table
        caption={caption}
        className={minWidth}
        headings={headings.map((label) => ({ label: label || <span className="sr-only">Actions</span>, className: 'px-3 py-2' }))}
      >
        {children}
      </Table>
    </div>
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
    <div className="overflow-x-auto">
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
    </div>
  );
}
