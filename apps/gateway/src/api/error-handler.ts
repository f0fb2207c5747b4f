// One error shape for every response: { "error": { code, message, field?, issues? } }.
// Our GatewayErrors carry their own status and code; Fastify's own 4xx errors
// (bad JSON, wrong content type, body too large) are mapped to stable codes;
// anything else is a 500 whose details go to the log, not to the client.
import type { FastifyError, FastifyInstance } from 'fastify';
import { GatewayError } from '../errors.js';
import type { ErrorResponse } from './schemas.js';

const fastifyCodes: Record<string, { code: string; field?: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'INVALID_JSON', field: 'body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'INVALID_JSON', field: 'body' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'BAD_REQUEST' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE' },
};

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler(async (error: FastifyError | GatewayError | Error, request, reply) => {
    let status: number;
    let body: ErrorResponse;
    if (error instanceof GatewayError) {
      status = error.statusCode;
      body = {
        error: {
          code: error.code,
          message: error.message,
          ...(error.field === undefined ? {} : { field: error.field }),
          ...(error.issues === undefined ? {} : { issues: error.issues }),
        },
      };
      for (const [name, value] of Object.entries(error.headers)) void reply.header(name, value);
    } else {
      const statusCode = (error as FastifyError).statusCode;
      if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
        const known = fastifyCodes[(error as FastifyError).code ?? ''];
        // Fastify reports malformed JSON as a SyntaxError with status 400.
        const mapped = known ?? (error instanceof SyntaxError ? { code: 'INVALID_JSON', field: 'body' } : { code: 'BAD_REQUEST' });
        status = statusCode;
        body = { error: { code: mapped.code, message: error.message, ...(mapped.field ? { field: mapped.field } : {}) } };
      } else {
        request.log.error({ err: error }, 'request failed');
        status = 500;
        body = { error: { code: 'INTERNAL', message: 'Internal server error' } };
      }
    }
    return reply.code(status).type('application/json; charset=utf-8').send(body);
  });

  app.setNotFoundHandler(async (request, reply) => {
    const body: ErrorResponse = { error: { code: 'NOT_FOUND', message: `No route ${request.method} ${request.url.split('?')[0] ?? ''}` } };
    return reply.code(404).send(body);
  });
}
