/**
 * @module control/testing/sse-client
 * For tests: read a server-sent event stream (eventsource-parser) and wait for events by name,
 * with a deadline (never an unbounded wait).
 */
import { createParser } from 'eventsource-parser';
import { Agent, request } from 'undici';

export interface SseEvent {
  event: string;
  data: any;
}

export interface EventStream {
  status: number;
  /** Every event received so far, in order. */
  events: SseEvent[];
  /** The next event named `name` not yet taken, waiting at most `timeoutMs`. */
  next(name: string, timeoutMs?: number): Promise<SseEvent>;
  close(): Promise<void>;
}

export async function openStream(url: string, token: string): Promise<EventStream> {
  const agent = new Agent();
  const ac = new AbortController();
  const res = await request(url, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal: ac.signal,
    dispatcher: agent,
    bodyTimeout: 0,
  });
  const events: SseEvent[] = [];
  const taken = new Set<SseEvent>();
  const waiters = new Set<() => void>();
  const parser = createParser({
    onEvent(e) {
      events.push({ event: e.event || 'message', data: e.data === '' ? null : JSON.parse(e.data) });
      for (const w of waiters) w();
    },
  });
  const pump = (async () => {
    try {
      const decoder = new TextDecoder();
      for await (const chunk of res.body) parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
    } catch {
      // aborted by close()
    }
  })();
  return {
    status: res.statusCode,
    events,
    async next(name, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const e = events.find((x) => x.event === name && !taken.has(x));
        if (e) {
          taken.add(e);
          return e;
        }
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(
            `no ${name} event within ${timeoutMs} ms (got ${events.map((x) => x.event).join(', ') || 'nothing'})`,
          );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, left);
          function done() {
            clearTimeout(timer);
            waiters.delete(done);
            resolve();
          }
          waiters.add(done);
        });
      }
    },
    async close() {
      ac.abort();
      await pump;
      await agent.close().catch(() => {});
    },
  };
}
