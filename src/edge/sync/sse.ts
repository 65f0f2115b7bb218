/**
 * @module edge/sync/sse
 * A small incremental parser for server-sent events (the watch stream of the replication
 * protocol): feed it text chunks as they arrive, get whole events out. Follows the WHATWG
 * "event stream interpretation" rules that matter here: lines end in LF, CRLF or CR; `event:`,
 * `data:` (several lines joined with LF) and `id:` fields; a line starting with `:` is a comment;
 * a blank line dispatches; an event with no data is dropped.
 */

export interface SseEvent {
  /** `message` when the stream gave no `event:` field. */
  event: string;
  data: string;
  id?: string;
}

export class SseParser {
  #buf = '';
  #event = '';
  #data: string[] = [];
  #id: string | undefined;
  /** Lines longer than this without a newline mean a broken stream; the caller reconnects. */
  readonly maxLineBytes: number;

  constructor(maxLineBytes = 1 << 20) {
    this.maxLineBytes = maxLineBytes;
  }

  /** Parse one more chunk; returns the events it completed (possibly none). */
  push(chunk: string): SseEvent[] {
    this.#buf += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.#buf);
      if (!m) break;
      // A lone CR at the very end may be the first half of CRLF: wait for the next chunk.
      if (m[0] === '\r' && m.index === this.#buf.length - 1) break;
      const line = this.#buf.slice(0, m.index);
      this.#buf = this.#buf.slice(m.index + m[0].length);
      const ev = this.#line(line);
      if (ev) out.push(ev);
    }
    if (this.#buf.length > this.maxLineBytes)
      throw new Error(`event stream line longer than ${this.maxLineBytes} bytes`);
    return out;
  }

  #line(line: string): SseEvent | null {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    else if (field === 'id' && !value.includes('\u0000')) this.#id = value;
    return null;
  }

  #dispatch(): SseEvent | null {
    const data = this.#data;
    const event = this.#event || 'message';
    this.#data = [];
    this.#event = '';
    if (data.length === 0) return null;
    const ev: SseEvent = { event, data: data.join('\n') };
    if (this.#id !== undefined) ev.id = this.#id;
    return ev;
  }
}
