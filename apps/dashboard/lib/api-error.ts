import { errorBodySchema } from './api-types';

/** A gateway answer that was not a success, or a request that never got an answer (status 0). */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** Seconds to wait before trying again, from a 429's Retry-After. */
    readonly retryAfter?: number,
  ) {
    super(message);
  }

  get isUnauthenticated(): boolean {
    return this.status === 401;
  }

  get isForbidden(): boolean {
    return this.status === 403;
  }
}

/** Builds the ApiError for a response that is not ok, reading the gateway's error body when there is one. */
export async function apiErrorFrom(response: Response): Promise<ApiError> {
  const body: unknown = await response.json().catch(() => null);
  const parsed = errorBodySchema.safeParse(body);
  const retryAfterHeader = Number(response.headers.get('retry-after'));
  const retryAfter = Number.isFinite(retryAfterHeader) && retryAfterHeader > 0 ? retryAfterHeader : undefined;
  if (parsed.success) {
    const { code, message, field } = parsed.data.error;
    return new ApiError(response.status, code, message, field, retryAfter);
  }
  const fallback: Record<number, [string, string]> = {
    401: ['UNAUTHENTICATED', 'Please sign in.'],
    403: ['FORBIDDEN', 'Your role does not allow this.'],
    404: ['NOT_FOUND', 'Not found.'],
    429: ['RATE_LIMITED', 'Too many attempts. Try again later.'],
  };
  const [code, message] = fallback[response.status] ?? [
    'HTTP_ERROR',
    `The gateway answered HTTP ${response.status}.`,
  ];
  return new ApiError(response.status, code, message, undefined, retryAfter);
}
