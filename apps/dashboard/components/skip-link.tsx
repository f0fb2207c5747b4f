export function SkipLink() {
  return (
    <a
      href="#main"
      className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:rounded focus:bg-surface-raised focus:px-3 focus:py-2"
    >
      Skip to content
    </a>
  );
}
