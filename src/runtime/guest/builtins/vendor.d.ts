/**
 * @module runtime/guest/builtins/vendor
 * Type declarations for the npm polyfills bundled into guest builtins (they ship no types).
 */
declare module 'buffer/index.js' {
  export const Buffer: any;
  export const SlowBuffer: any;
  export const INSPECT_MAX_BYTES: number;
  export const kMaxLength: number;
}
declare module 'path-browserify' {
  const posix: any;
  export default posix;
}
