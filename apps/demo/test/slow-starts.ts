// How long these tests give what starts slowly. Sized for a machine three times slower than a
// quiet two-core one that also runs another workspace's tests (turbo runs two at once).

/**
 * The embedded PostgreSQL (PGlite) coming up: its initdb and the migrations are most of the 22
 * CPU-seconds the demo spent before its banner when measured here; three times slower and on a
 * shared core, that is over two minutes.
 */
export const embeddedStartMs = 150_000;
