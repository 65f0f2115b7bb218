/**
 * @module client/sse
 * A reader for `text/event-stream` (the HTML Living Standard, "Server-sent events"), with
 * eventsource-parser doing the interpretation (LF, CRLF and CR line ends, comments, `event`,
 * multi-line `data`, `id`, a blank line dispatches). It reads a web ReadableStream with
 * `getReader()`, so it works in Node and in browsers alike (the CLI and the console).
 */
import { createParser, type EventSourceParser } from 'eventsource-parser';

export interface SseEvent {
  /** `message` when the stream named none. */
  event: string;
  data: string;
  id: string | undefined;
}

/** Events from a stream fed in pieces; `line()` feeds one whole line (what the tests and old callers use). */
export class SseParser {
  readonly #parser: EventSourceParser;
  #out: SseEvent[] = [];
  /** The spec's "last event ID": it stays until an `id` field changes it. */
  #lastId: string | undefined;

  constructor() {
    this.#parser = createParser({
      onEvent: (e) => {
        if (e.id !== undefined) this.#lastId = e.id;
        this.#out.push({ event: e.event || 'message', data: e.data, id: this.#lastId });
      },
    });
  }

  /** Feed decoded text (any piece of the stream); returns the events it completed. */
  feed(text: string): SseEvent[] {
    this.#parser.feed(text);
    const out = this.#out;
    this.#out = [];
    return out;
  }

  /** Feed one line (without its line end); returns the event a blank line dispatches. */
  line(line: string): SseEvent | undefined {
    return this.feed(`${line}\n`)[0];
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
      yield* parser.feed(decoder.decode(chunk.value, { stream: true }));
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // Also when the consumer stops early: cancelling closes the connection.
    void reader.cancel().catch(() => {});
  }
}
