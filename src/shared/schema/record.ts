/**
 * @module shared/schema/record
 * A map from any string key to values of one schema, written with `additionalProperties`.
 * TypeBox's `Type.Record(Type.String(), v)` says the same with `patternProperties: {"^.*$": v}`,
 * which the OpenAPI tooling (@fastify/swagger) rewrites on its way into the document; this form
 * reaches the document as it is, so the document and the schemas the server checks with are one.
 */
import { Type, type Static, type TSchema, type TUnsafe } from 'typebox';

export function recordOf<T extends TSchema>(
  value: T,
  options: Record<string, unknown> = {},
): TUnsafe<Record<string, Static<T>>> {
  return Type.Unsafe<Record<string, Static<T>>>({ ...options, type: 'object', additionalProperties: value });
}
