// npm run check:openapi: builds the control API (Fastify, no socket: inject()), takes the OpenAPI
// document @fastify/swagger writes, and fails when it disagrees with the route table's TypeBox
// schemas (src/control/api/openapi-check.ts says how), naming each disagreement.
import { OPENAPI_COMPONENTS } from '../src/control/api/openapi.js';
import { openApiDisagreements } from '../src/control/api/openapi-check.js';
import { injectedApi } from '../src/control/testing/inject.js';

const t = await injectedApi();
const res = await t.api.fastify.inject({ method: 'GET', url: '/api/v1/openapi.json' });
const problems =
  res.statusCode === 200
    ? openApiDisagreements(res.json(), t.table.routes, OPENAPI_COMPONENTS)
    : [`GET /api/v1/openapi.json answered ${res.statusCode}`];
await t.close();
if (problems.length > 0) {
  console.error(`the OpenAPI document disagrees with the schemas (${problems.length}):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`openapi: the document agrees with the schemas of ${t.table.routes.length} routes`);
