/**
 * @module control/api/schema
 * Request bodies are TypeBox schemas from src/shared (shared/api/bodies.ts, the replication
 * messages, the distribution config), validated by Ajv before a handler runs (every problem by
 * JSON path: src/shared/schema/check.ts); this file turns those problems into the API's error.
 */
import type { ConfigProblem } from '../../shared/schema/check.js';
import { VergeError } from '../../shared/errors.js';
import { checkSchema } from '../../shared/schema/check.js';

export function validationError(problems: readonly ConfigProblem[], message?: string): VergeError {
  const first = problems[0];
  const text =
    message ??
    (first
      ? `${first.path}: ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`
      : 'invalid request');
  return new VergeError('VALIDATION_FAILED', text, { details: { fields: problems } });
}

/** Validate and narrow, or throw VALIDATION_FAILED listing every problem. */
export function parseBody<T>(schema: object, v: unknown): T {
  const problems = checkSchema(schema, v);
  if (problems.length > 0) throw validationError(problems);
  return v as T;
}
