// Every error Lovage throws on purpose. Each has a stable `code` so callers
// (and the gateway, across the wire) can branch on it without string matching.

export class LovageError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A setting, option or environment variable has a value Lovage cannot use. */
export class ConfigError extends LovageError {
  constructor(message: string, options?: ErrorOptions) {
    super('CONFIG', message, options);
  }
}

/** A task's arguments or return value cannot travel as JSON. `path` names the offending value. */
export class SerializationError extends LovageError {
  readonly path: string;
  constructor(path: string, message: string, options?: ErrorOptions) {
    super('SERIALIZATION', `${path}: ${message}`, options);
    this.path = path;
  }
}
