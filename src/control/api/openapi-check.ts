/**
 * @module control/api/openapi-check
 * Does the OpenAPI document say what the route table's schemas say? Every route is an operation
 * with its summary, its body's schema and its answer's schema exactly as declared (nothing the
 * generator rewrote on the way), nothing else is, the shared components are the schemas they
 * name, and every `$ref` points at something. `npm run check:openapi` runs it on the document
 * the server serves; an empty list means they agree.
 */
import { isDeepStrictEqual } from 'node:util';
import type { TSchema } from 'typebox';
import type { Route } from './route.js';

type Json = Record<string, any>;

const json = (x: unknown): unknown => JSON.parse(JSON.stringify(x));

function refs(x: unknown, out: string[] = []): string[] {
  if (Array.isArray(x)) for (const v of x) refs(v, out);
  else if (x && typeof x === 'object')
    for (const [k, v] of Object.entries(x)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  return out;
}

export function openApiDisagreements(
  doc: Json,
  routes: readonly Route[],
  components: Readonly<Record<string, TSchema>>,
): string[] {
  const problems: string[] = [];
  const same = (where: string, inDoc: unknown, declared: unknown) => {
    if (!isDeepStrictEqual(inDoc, json(declared)))
      problems.push(`${where}: the document's schema is not the declared one`);
  };
  for (const r of routes) {
    const where = `${r.method} ${r.path}`;
    const op = doc.paths?.[`/api/v1${r.path}`]?.[r.method.toLowerCase()] as Json | undefined;
    if (!op) {
      problems.push(`${where}: not in the document`);
      continue;
    }
    if (op.summary !== r.summary) problems.push(`${where}: summary ${JSON.stringify(op.summary)}`);
    const body = op.requestBody?.content?.['application/json']?.schema as unknown;
    if (r.body) same(`${where} request body`, body, r.body);
    else if (op.requestBody !== undefined) problems.push(`${where}: a request body the route does not take`);
    const status = String(r.success?.status ?? 200);
    const answer = op.responses?.[status] as Json | undefined;
    if (!answer) problems.push(`${where}: no ${status} answer`);
    else if (status === '204') {
      if (answer.content !== undefined) problems.push(`${where}: a 204 with content`);
    } else if (!r.success?.schema) problems.push(`${where}: declares no answer schema`);
    else same(`${where} ${status} answer`, answer.content?.[r.success.contentType ?? 'application/json']?.schema, r.success.schema); // prettier-ignore
  }
  const declared = new Set(routes.map((r) => `${r.method.toLowerCase()} /api/v1${r.path}`));
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Json))
    for (const method of Object.keys(item as Json))
      if (!declared.has(`${method} ${path}`))
        problems.push(`${method.toUpperCase()} ${path}: in the document, not a route`);
  for (const [name, schema] of Object.entries(components))
    same(`components.schemas.${name}`, doc.components?.schemas?.[name], schema);
  for (const ref of new Set(refs(doc))) {
    const target = ref.startsWith('#/')
      ? ref
          .slice(2)
          .split('/')
          .reduce<any>((o, k) => o?.[k], doc)
      : undefined;
    if (target === undefined) problems.push(`$ref ${ref} points at nothing`);
  }
  return problems;
}
