// Where the test services live. Defaults match the development machine
// (see shared/notes/ENVIRONMENT.md); CI may override them.
export const testRedisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
export const testPostgresUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
