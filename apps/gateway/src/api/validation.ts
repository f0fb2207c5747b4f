// Boundary validation: parses a request part with its zod schema and turns the
// first failure into a 400 that names the field (`limit`, `email`, ...).
import type { z } from 'zod';
import { ValidationError } from '../errors.js';

export type RequestPart = 'params' | 'query' | 'body';

export function parseRequestPart<Schema extends z.ZodType>(schema: Schema, value: unknown, part: RequestPart): z.output<Schema> {
  const parsed = schema.safeParse(value ?? (part === 'body' ? undefined : {}));
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({
    path: [part, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  const first = parsed.error.issues[0];
  const field = first && first.path.length > 0 ? first.path.map(String).join('.') : part;
  const message = first ? `${field}: ${first.message}` : `${part} is invalid`;
  throw new ValidationError(message, field, issues);
}
