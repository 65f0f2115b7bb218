/**
 * @module runtime/guest/builtins/http
 * Node's `http` client (see lib/http-client.ts); requests go through the host.
 */
import type { Bridge, Require } from './lib/types.js';
import { createHttpModule } from './lib/http-client.js';

export default function factory(bridge: Bridge, require: Require) {
  return createHttpModule(bridge, require, 'http:');
}
