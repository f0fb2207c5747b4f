// Where the test services live. Defaults match the development machine
// (see shared/notes/ENVIRONMENT.md); CI may override them.
export const testRedisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
export const testPostgresUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
/** The Python that sees Debian's Celery 5.2.6 (the `python3` first on PATH does not). */
export const peerPython = process.env.LOVAGE_PEER_PYTHON ?? '/usr/bin/python3';
/** This process's environment, for child processes that add to it. */
export const inheritedEnvironment = (): Record<string, string | undefined> => ({ ...process.env });
