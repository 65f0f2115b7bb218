/**
 * @module edge/sync/sse
 * The watch stream's server-sent events, read with eventsource-parser (the WHATWG "event stream
 * interpretation": LF, CRLF and CR line ends, `event:`, multi-line `data:`, `id:`, comments, a
 * blank line dispatches). This wrapper keeps the edge's interface, chunks in and whole events
 * out, and adds the one thing the library leaves to its caller: a bound on an unfinished line,
 * so a broken stream that never ends a line cannot grow the buffer without limit.
 */
import { createParser, type EventSourceParser } from 'eventsource-parser';

export interface SseEvent {
  /** `message` when the stream gave no `event:` field. */
  event: string;
  data: string;
  id?: string;
}

export class SseParser {
  readonly #parser: EventSourceParser;
  #out: SseEvent[] = [];
  /** Characters since the last line end: what the library holds unparsed. */
  #pending = 0;
  /** Lines longer than this without a newline mean a broken stream; the caller reconnects. */
  readonly maxLineBytes: number;

  constructor(maxLineBytes = 1 << 20) {
    this.maxLineBytes = maxLineBytes;
    this.#parser = createParser({
      onEvent: (e) => {
        const ev: SseEvent = { event: e.event || 'message', data: e.data };
        if (e.id !== undefined) ev.id = e.id;
        this.#out.push(ev);
      },
    });
  }

  /** Parse one more chunk; returns the events it completed (possibly none). */
  push(chunk: string): SseEvent[] {
    const lastEnd = Math.max(chunk.lastIndexOf('\n'), chunk.lastIndexOf('\r'));
    this.#pending = lastEnd === -1 ? this.#pending + chunk.length : chunk.length - lastEnd - 1;
    if (this.#pending > this.maxLineBytes) throw new Error(`event stream line longer than ${this.maxLineBytes} bytes`);
    this.#parser.feed(chunk);
    const out = this.#out;
    this.#out = [];
    return out;
  }
}
