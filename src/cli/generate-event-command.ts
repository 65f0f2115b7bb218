/**
 * @module cli/generate-event-command
 * `verge generate-event TYPE`: print a realistic sample Lambda@Edge event, like
 * `sam local generate-event cloudfront`, in the shapes of spec 1.2–1.5. The output is valid
 * input for `verge invoke --request FILE`.
 */
import { isEventType } from '../shared/lambda-edge/index.js';
import { print } from '../shared/log.js';
import { parse, UsageError } from './args.js';
import { buildEvent, parseHeaderFlag, type EventSpec } from './fn-events.js';

export const GENERATE_EVENT_HELP = `verge generate-event TYPE [options]

Prints a sample Lambda@Edge event (JSON) for TYPE: viewer-request, origin-request,
origin-response or viewer-response. Feed it to \`verge invoke PATH --request FILE\`.

  --uri /path           request path (default /index.html)
  --method M            request method (default GET)
  --querystring Q       raw query string without "?" (default none)
  --host H              the Host (default www.example.com; origin.example.com for origin events)
  --header 'K: V'       an extra request header; repeatable
  --body S              include a body member (IncludeBody, spec 1.9) holding S, base64
  --status N            response status for the response events (default 200)
`;

export async function generateEventCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(
    argv,
    {
      uri: { type: 'string' },
      method: { type: 'string' },
      querystring: { type: 'string' },
      host: { type: 'string' },
      header: { type: 'string', multiple: true },
      body: { type: 'string' },
      status: { type: 'string' },
      help: { type: 'boolean' },
    },
    true,
  );
  if (values.help) return print(GENERATE_EVENT_HELP);
  const type = positionals[0];
  if (positionals.length !== 1 || !isEventType(type)) {
    throw new UsageError('give one event TYPE: viewer-request, origin-request, origin-response or viewer-response');
  }
  const uri = values.uri ?? '/index.html';
  if (!uri.startsWith('/')) throw new UsageError('--uri must start with "/"');
  const qs = (values.querystring ?? '').replace(/^\?/, '');
  const status = values.status === undefined ? 200 : Number(values.status);
  if (!Number.isInteger(status) || status < 100 || status > 599)
    throw new UsageError('--status must be a whole number from 100 to 599');
  const spec: EventSpec = {
    eventType: type,
    url: `https://${values.host ?? (type.startsWith('origin') ? 'origin.example.com' : 'www.example.com')}${uri}${qs ? `?${qs}` : ''}`,
    method: values.method ?? (values.body !== undefined ? 'POST' : 'GET'),
    ...(values.header?.length ? { headers: values.header.map(parseHeaderFlag) } : {}),
    ...(values.body !== undefined
      ? { body: values.body, includeBody: type === 'viewer-request' || type === 'origin-request' }
      : {}),
    status,
  };
  print(JSON.stringify(buildEvent(spec), null, 2));
}
