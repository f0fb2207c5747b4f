// @lovage/gateway: the monitor server as a library (the demo embeds it) and its building blocks.
export { createGateway, type Gateway, type GatewayOptions } from './server.js';
export { loadConfig, ConfigError, type GatewayConfig } from './config.js';
export { openDatabase, DatabaseError, redactUrl, type Database, type DatabaseKind } from './store/database.js';
export {
  applyMigrations,
  checksumOf,
  defaultMigrationsDir,
  migratePglite,
  migratePostgres,
  migrationsFingerprint,
  MigrationError,
  readMigrations,
  withMigrationLock,
  pgSession,
  pgliteSession,
  type Migration,
  type MigrationResult,
  type SqlSession,
} from './store/migrate.js';
