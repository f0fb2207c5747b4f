// Types for preflight.mjs, so TypeScript tests can import it.
/** Each check resolves to null when the prerequisite is there, or to a message saying how to get it. */
export function checkRedis(url: string): Promise<string | null>;
export function checkPostgres(url: string): Promise<string | null>;
export function checkChromium(path: string): string | null;
export function checkPythonPeers(python?: string): Promise<string | null>;
