// Turns a start-up failure into one line saying what went wrong and how to fix it.
export function describeStartError(error: unknown, port: number): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return `lovage: port ${port} is already in use (another Lovage or gateway?). Stop it, or pick another port: PORT_GATEWAY=5556 npm start`;
  }
  if (code === 'EACCES') {
    return `lovage: not allowed to listen on port ${port}. Pick a port above 1024: PORT_GATEWAY=5556 npm start`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `lovage: could not start: ${message}`;
}
