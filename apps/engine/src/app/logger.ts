// The engine logs through this interface, so users can hand in their own pino
// (or anything with the same four methods). The default is a pino logger.
import { pino } from 'pino';

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export function defaultLogger(level: LogLevel, name: string): Logger {
  return pino({ name, level });
}
