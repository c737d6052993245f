import type { z } from 'zod';
import { ProblemException } from '../../http/problem';
import { ADMIN_ERRORS } from '../auth/admin-identity';

/**
 * Parses a body or query string with a strict zod schema (unknown fields are errors: a misspelt `expiresAt` must
 * not silently create a permanent ban). Every issue is named with its path.
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query'): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${[where, ...i.path.map(String)].join('.')}: ${i.message}`);
  throw new ProblemException(400, ADMIN_ERRORS.REQUEST_INVALID, 'Invalid request', issues.join('; '));
}

export function notFound(what: string): ProblemException {
  return new ProblemException(404, ADMIN_ERRORS.NOT_FOUND, 'Not found', what);
}
