// The public API of @lovage/engine. Anything not exported here is internal.
export { LovageError, ConfigError, SerializationError } from './errors.js';
export { toMs, formatMs, type Duration, type DurationUnit } from './time/duration.js';
