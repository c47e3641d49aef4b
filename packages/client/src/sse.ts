/**
 * Server-Sent Events subscription over fetch (Node 20 has no EventSource), resuming with
 * `Last-Event-ID` after a disconnect so no event is missed or repeated.
 *
 * @module
 */
import type { LociEvent, SubscribeOptions, Subscription } from "@loci/engine";
import { LociError } from "@loci/engine";
import { errorFromWire, type HttpTransport } from "./http.js";
import { eventFromWire } from "./wire.js";

/** Parses an SSE byte stream into messages. */
async function* messages(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<{ id?: string; event?: string; data: string }> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const msg: { id?: string; event?: string; data: string } = { data: "" };
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const i = line.indexOf(":");
        const field = i < 0 ? line : line.slice(0, i);
        const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
        if (field === "data") data.push(value);
        else if (field === "id") msg.id = value;
        else if (field === "event") msg.event = value;
      }
      msg.data = data.join("\n");
      if (data.length > 0) yield msg;
    }
  }
}

/** Options of {@link subscribeSse}. */
export interface SseOptions {
  /** First reconnect delay in ms (doubles up to 10 s). @default 250 */
  reconnectDelayMs?: number;
  /** Called when the stream fails for good (auth, unknown namespace). */
  onError?: (err: LociError) => void;
}

/** Subscribes to a namespace's events; reconnects with the last seen id until unsubscribed. */
export async function subscribeSse(
  http: HttpTransport,
  opts: SubscribeOptions,
  handler: (event: LociEvent) => void | Promise<void>,
  sse: SseOptions = {},
): Promise<Subscription> {
  const controller = new AbortController();
  let last: number | null = opts.since ?? null;
  const url = http.url(`/v1/namespaces/${encodeURIComponent(opts.namespace)}/events`, {
    types: opts.types?.join(","),
  });
  const connect = async () => {
    const res = await http.fetchRaw(url, {
      headers: http.headers({
        accept: "text/event-stream",
        ...(last === null ? {} : { "last-event-id": String(last) }),
      }),
      signal: controller.signal,
    });
    if (!res.ok || !res.body) {
      const text = await res.text();
      throw errorFromWire(res.status, text ? JSON.parse(text) : null);
    }
    return res.body;
  };
  // The first connection is awaited so that errors (401, 403, 404) reach the caller.
  let body: ReadableStream<Uint8Array> | null = await connect();
  void (async () => {
    let delay = sse.reconnectDelayMs ?? 250;
    while (!controller.signal.aborted) {
      try {
        body ??= await connect();
        delay = sse.reconnectDelayMs ?? 250;
        for await (const msg of messages(body)) {
          const event = eventFromWire(JSON.parse(msg.data));
          if (last !== null && event.seq <= last) continue;
          last = event.seq;
          try {
            await handler(event);
          } catch {
            // a failing handler must not end the subscription
          }
        }
      } catch (err) {
        if (controller.signal.aborted) return;
        if (LociError.isInstance(err) && err.status < 500 && err.code !== "RATE_LIMITED") {
          sse.onError?.(err);
          return;
        }
      }
      body = null;
      if (controller.signal.aborted) return;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(10_000, delay * 2);
    }
  })();
  return { unsubscribe: () => controller.abort() };
}
