/**
 * Turns a handler-based subscription into an async iterator:
 * `for await (const event of client.events.stream({ namespace })) { … }`.
 * Events are buffered while the consumer is busy; breaking out of the loop (or aborting the
 * signal) unsubscribes, and a signal aborted before the stream starts ends it at once.
 *
 * @module
 */
import type { LociEvent, SubscribeOptions, Subscription } from "../types.js";

/** Options of an event stream. */
export type StreamOptions = SubscribeOptions & { signal?: AbortSignal };

/** Builds an async iterable over a subscribe function. */
export function streamEvents(
  subscribe: (opts: SubscribeOptions, handler: (e: LociEvent) => void) => Promise<Subscription>,
  opts: StreamOptions,
): AsyncIterable<LociEvent> {
  return {
    [Symbol.asyncIterator]() {
      const buffer: LociEvent[] = [];
      let wake: (() => void) | null = null;
      let done = false;
      const { signal, ...subOpts } = opts;
      // A signal aborted already never fires "abort": such a stream ends at once, unsubscribed.
      const aborted = signal?.aborted === true;
      done = aborted;
      const subscribed: Promise<Subscription | null> = aborted
        ? Promise.resolve(null)
        : subscribe(subOpts, (e) => {
            buffer.push(e);
            wake?.();
          });
      const stop = async () => {
        done = true;
        wake?.();
        (await subscribed.catch(() => null))?.unsubscribe();
      };
      if (!aborted) signal?.addEventListener("abort", () => void stop(), { once: true });
      return {
        async next(): Promise<IteratorResult<LociEvent>> {
          await subscribed; // surfaces subscription errors (unknown namespace, 403…)
          while (buffer.length === 0 && !done) await new Promise<void>((r) => (wake = r));
          wake = null;
          if (buffer.length > 0) return { value: buffer.shift()!, done: false };
          return { value: undefined, done: true };
        },
        async return(): Promise<IteratorResult<LociEvent>> {
          await stop();
          return { value: undefined, done: true };
        },
      };
    },
  };
}
