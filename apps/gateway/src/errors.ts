// The gateway's typed errors. Every error the API answers with is one of these,
// carrying a stable `code` and the HTTP status it maps to; the error handler in
// api/error-handler.ts turns them into `{ "error": { code, message, field?, issues? } }`.

export interface ValidationIssue {
  /** Dotted path of the offending value, e.g. `body.email` or `query.limit`. */
  path: string;
  message: string;
}

export class GatewayError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly field: string | undefined;
  readonly issues: ValidationIssue[] | undefined;
  /** Extra response headers, e.g. Retry-After. */
  readonly headers: Record<string, string>;

  constructor(
    code: string,
    statusCode: number,
    message: string,
    details: { field?: string; issues?: ValidationIssue[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.statusCode = statusCode;
    this.field = details.field;
    this.issues = details.issues;
    this.headers = details.headers ?? {};
  }
}

/** 400: a parameter, query value or body field failed validation; `field` names the first one. */
export class ValidationError extends GatewayError {
  constructor(message: string, field: string, issues: ValidationIssue[]) {
    super('VALIDATION_FAILED', 400, message, { field, issues });
    this.name = 'ValidationError';
  }
}

/** 401: no valid session or token (or wrong credentials at login). */
export class UnauthenticatedError extends GatewayError {
  constructor(message = 'Authentication required', code = 'UNAUTHENTICATED') {
    super(code, 401, message);
    this.name = 'UnauthenticatedError';
  }
}

/** 403: authenticated, but the role, CSRF token or Origin does not allow this request. */
export class ForbiddenError extends GatewayError {
  constructor(message: string, code = 'FORBIDDEN') {
    super(code, 403, message);
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends GatewayError {
  constructor(message: string) {
    super('NOT_FOUND', 404, message);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends GatewayError {
  constructor(message: string, code = 'CONFLICT', field?: string) {
    super(code, 409, message, field === undefined ? {} : { field });
    this.name = 'ConflictError';
  }
}

/** 429 with Retry-After (seconds). */
export class RateLimitedError extends GatewayError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super('RATE_LIMITED', 429, message, { headers: { 'retry-after': String(retryAfterSeconds) } });
    this.name = 'RateLimitedError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
