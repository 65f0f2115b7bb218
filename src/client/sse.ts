/**
 * @module client/sse
 * A reader for `text/event-stream` (the HTML Living Standard, "Server-sent events", section
 * 9.2.6 "Interpreting an event stream"): lines end in LF, CRLF or CR; `:` starts a comment;
 * `event`, `data` (joined with LF), `id` and `retry` fields; a blank line dispatches. It reads
 * a web ReadableStream with `getReader()`, so it works in Node and in browsers alike.
 */

export interface SseEvent {
  /** `message` when the stream named none. */
  event: string;
  data: string;
  id: string | undefined;
}

/** Split decoded text into complete lines; returns the unfinished tail. */
function splitLines(buf: string, out: string[]): string {
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    const c = buf.charCodeAt(i);
    if (c !== 10 && c !== 13) continue;
    // A CR at the very end might be the first half of CRLF: wait for more input.
    if (c === 13 && i === buf.length - 1) break;
    out.push(buf.slice(start, i));
    if (c === 13 && buf.charCodeAt(i + 1) === 10) i++;
    start = i + 1;
  }
  return buf.slice(start);
}

/** Parses SSE lines into events; feed it lines, it returns an event on each blank line. */
export class SseParser {
  #event = '';
  #data: string[] = [];
  #id: string | undefined;
  #hasData = false;

  line(line: string): SseEvent | undefined {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') {
      this.#data.push(value);
      this.#hasData = true;
    } else if (field === 'id' && !value.includes('\0')) this.#id = value;
    return undefined;
  }

  #dispatch(): SseEvent | undefined {
    const ev = this.#hasData
      ? { event: this.#event || 'message', data: this.#data.join('\n'), id: this.#id }
      : undefined;
    this.#event = '';
    this.#data = [];
    this.#hasData = false;
    return ev;
  }
}

/**
 * Yield the events of a stream until it ends or `signal` aborts (then it returns quietly).
 * @example for await (const ev of readSse(res.body, signal)) if (ev.event === 'log') show(JSON.parse(ev.data));
 */
export async function* readSse(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  const onAbort = () => void reader.cancel().catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  let tail = '';
  try {
    while (!signal?.aborted) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (signal?.aborted) return;
        throw e;
      }
      if (chunk.done) break;
      const lines: string[] = [];
      tail = splitLines(tail + decoder.decode(chunk.value, { stream: true }), lines);
      for (const l of lines) {
        const ev = parser.line(l);
        if (ev) yield ev;
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // Also when the consumer stops early: cancelling closes the connection.
    void reader.cancel().catch(() => {});
  }
}
