// Lambda@Edge, viewer-request, in TypeScript with a dependency from node_modules: the package
// (this folder, or a .zip of it) is compiled when it is loaded, as it would be by your build
// before uploading to AWS. `/posts/Some Title` is served from `/posts/some-title.html`.
import { slugify } from 'tiny-slug';

interface CfHeader {
  key?: string;
  value: string;
}
interface CfRequest {
  uri: string;
  querystring: string;
  headers: Record<string, CfHeader[]>;
}
interface CfEvent {
  Records: Array<{ cf: { request: CfRequest } }>;
}

const PREFIX = '/posts/';

export const handler = async (event: CfEvent): Promise<CfRequest> => {
  const request = event.Records[0].cf.request;
  if (request.uri.startsWith(PREFIX) && !request.uri.endsWith('.html')) {
    const title = decodeURIComponent(request.uri.slice(PREFIX.length));
    request.uri = `${PREFIX}${slugify(title)}.html`;
  }
  return request;
};
