/** @module shared/lambda-edge — CloudFront event shapes, header maps, the event contract. */
export * from './events.js';
export * from './headers.js';
export * from './contract.js';
export * from './runtime.js';
