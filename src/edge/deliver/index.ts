/** @module edge/deliver — byte ranges and conditional requests answered at the edge (RFC 9110 13, 14). */
export { evaluateRange, contentRange, unsatisfiedContentRange, MAX_RANGE_SPECS } from './range.js';
export type { RangeResult } from './range.js';
export { evaluateConditional, notModifiedHeaders } from './conditional.js';
export type { ConditionalResult } from './conditional.js';
export { parseEntityTag, parseEntityTagList, parseHttpDate, strongMatch, weakMatch } from './validators.js';
export type { EntityTag } from './validators.js';
