/**
 * @module edge/body
 * Bodies as streams (DESIGN section 2): the body types every layer shares (origin client,
 * cache stores, pipeline, transmit), growing bodies for objects still being written, and the
 * memory and file places their bytes live. A leaf: imports only node built-ins.
 */
export {
  BodyTooLargeError,
  BodyUsedError,
  EMPTY_BODY,
  bodyFor,
  bodyLength,
  bufferStreamBody,
  discardBody,
  isStreamBody,
  oneShotBody,
  readBody,
  recyclerOf,
  sliceStream,
  streamBody,
  type Body,
  type BodySource,
  type ChunkRecycler,
  type StoredBody,
  type StreamBody,
} from './body.js';
export { GrowingBody, NoReadersError, READ_CHUNK, type ChunkStore } from './growing.js';
export { FileChunks, MemoryChunks, fileBody } from './chunk-stores.js';
export { StoringChunks } from './storing-chunks.js';
export { sinkWritable, type ByteSink } from './sink.js';
