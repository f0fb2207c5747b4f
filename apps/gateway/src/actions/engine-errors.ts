// The engine's typed errors as API answers: a stale schedule edit is a 409, a
// missing schedule a 404, a bad schedule or apply option a 400 naming the field.
// Anything else passes through unchanged (the error handler makes it a 500).
import { ConfigError, NotRegisteredError, ScheduleConflictError, ScheduleNotFoundError, SerializationError, UnsupportedByAdapterError } from '@lovage/engine';
import { ConflictError, GatewayError, NotFoundError, ValidationError } from '../errors.js';

/** `beatSchedule.<name>.<field>: ...` → `<field>`; other config messages name their field first (`priority: ...`). */
export function fieldOfConfigMessage(message: string, scheduleName?: string): string | undefined {
  if (scheduleName !== undefined) {
    const prefix = `beatSchedule.${scheduleName}.`;
    if (message.startsWith(prefix)) return /^[A-Za-z]+/.exec(message.slice(prefix.length))?.[0];
    if (message.startsWith('beatSchedule')) return 'name';
  }
  return /^([A-Za-z]+):/.exec(message)?.[1];
}

export function toGatewayError(error: unknown, context: { scheduleName?: string } = {}): unknown {
  if (error instanceof GatewayError) return error;
  if (error instanceof ScheduleConflictError) {
    const message =
      error.currentVersion === 0
        ? `schedule ${JSON.stringify(error.schedule)} no longer exists`
        : error.expectedVersion === 0
          ? `a schedule named ${JSON.stringify(error.schedule)} already exists`
          : error.message;
    if (error.currentVersion === 0) return new NotFoundError(message);
    return new ConflictError(message, error.expectedVersion === 0 ? 'SCHEDULE_EXISTS' : 'SCHEDULE_CONFLICT', error.expectedVersion === 0 ? 'name' : 'version');
  }
  if (error instanceof ScheduleNotFoundError) return new NotFoundError(error.message);
  if (error instanceof NotRegisteredError) return new NotFoundError(error.message);
  if (error instanceof UnsupportedByAdapterError) return new ConflictError(error.message, 'UNSUPPORTED_BY_ADAPTER');
  if (error instanceof SerializationError) return new ValidationError(`args: ${error.message}`, 'args', [{ path: 'body.args', message: error.message }]);
  if (error instanceof ConfigError) {
    const field = fieldOfConfigMessage(error.message, context.scheduleName) ?? 'body';
    return new ValidationError(error.message, field, [{ path: `body.${field}`, message: error.message }]);
  }
  return error;
}
