/**
 * @module runtime/guest/builtins/path
 * Node's `path` (POSIX flavour, as on Lambda) from `path-browserify`. `resolve` starts from
 * `process.cwd()` when the runtime provides one, else Lambda's `/var/task`.
 */
import posix from 'path-browserify';
import { maybe } from './lib/types.js';

export default function factory() {
  const cwd = (): string => (typeof maybe.process?.cwd === 'function' ? maybe.process.cwd() : '/var/task');
  const path = {
    ...posix,
    resolve: (...segments: string[]): string => posix.resolve(cwd(), ...segments),
    toNamespacedPath: (p: string): string => p,
    sep: '/',
    delimiter: ':',
  } as Record<string, unknown>;
  path.posix = path;
  return path;
}
