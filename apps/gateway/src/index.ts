// @lovage/gateway: the monitor server as a library (the demo embeds it) and its building blocks.
export { createGateway, type Gateway, type GatewayOptions } from './server.js';
export { loadConfig, ConfigError, parseCeleryClusters, applyResultBackends, requireResultBackends, type GatewayConfig, type CeleryClusterConfig } from './config.js';
export { openDatabase, DatabaseError, redactUrl, type Database, type DatabaseKind } from './store/database.js';
export { Ingest, type IngestOptions, type IngestStatus, type IngestLag, type BatchResult, type BatchListener } from './ingest/ingest.js';
export { CeleryEventSource, type CeleryEventSourceOptions, type CeleryEventSourceStatus, type Subscribed } from './ingest/celery-events.js';
export { CeleryCluster, type CeleryClusterOptions, type CeleryClusterStatus, type ReconcileReport } from './celery/celery-cluster.js';
export { Retention, type RetentionOptions, type RetentionReport } from './retention/retention.js';
export { taskListSql, type TaskFilter } from './store/task-queries.js';
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
export type { SecurityConfig } from './config.js';
export { loadSecurityConfig } from './config.js';
export type { FirstRunLogin, AdminLogin } from './auth/first-admin.js';
export { AuditLog, type AuditRecord, type AuditOutcome } from './audit/audit-log.js';
export { requireRole } from './auth/require-role.js';
export type { Principal } from './auth/principal.js';
export type { WorkflowRetrier, RetriedMember } from './actions/workflow-actions.js';
export type { GatewayMetrics } from './metrics/registry.js';
export { GatewayError, ValidationError, UnauthenticatedError, ForbiddenError, NotFoundError, ConflictError, RateLimitedError } from './errors.js';
