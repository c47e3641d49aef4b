/**
 * Server-Sent Events subscription over fetch (Node 20 has no EventSource), resuming with
 * `Last-Event-ID` after a disconnect so no event is missed or repeated.
 *
 * @module
 */
import type { LociEvent, SubscribeOptions, Subscription } from "@loci/engine";
import { LociError } from "@loci/engine";
import { errorFromWire, type HttpTransport, parseJson } from "./http.js";
import { pathSegment } from "./url-path.js";
import { eventFromWire } from "./wire.js";

/** Parses an SSE byte stream into messages; `onChunk` is called on every chunk (heartbeats too). */
async function* messages(
  body: ReadableStream<Uint8Array>,
  onChunk: () => void,
): AsyncGenerator<{ id?: string; event?: string; data: string }> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    onChunk();
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
  /**
   * A connection that brings nothing for this long (the server sends a heartbeat every 15 s) is
   * taken as dead — a half-open socket after a crash or a dropped NAT mapping — and replaced. The
   * same bound applies to waiting for a connection's response. 0 turns it off. @default 45000
   */
  idleTimeoutMs?: number;
  /** Called when the stream fails for good (auth, unknown namespace). */
  onError?: (err: LociError) => void;
}

/** A timer that aborts a connection unless it is kicked in time. */
function watchdog(ms: number, conn: AbortController): { kick(): void; stop(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const kick = () => {
    clearTimeout(timer);
    if (ms > 0) timer = setTimeout(() => conn.abort(new Error(`no data for ${ms} ms`)), ms);
  };
  kick();
  return { kick, stop: () => clearTimeout(timer) };
}

/** Subscribes to a namespace's events; reconnects with the last seen id until unsubscribed. */
export async function subscribeSse(
  http: HttpTransport,
  opts: SubscribeOptions,
  handler: (event: LociEvent) => void | Promise<void>,
  sse: SseOptions = {},
): Promise<Subscription> {
  const controller = new AbortController();
  const idleMs = sse.idleTimeoutMs ?? 45_000;
  let last: number | null = opts.since ?? null;
  let received = false;
  // `since` goes in the query, so a bad one is named as such; once an event has arrived,
  // `Last-Event-ID` (which the server prefers) resumes after it.
  const url = http.url(`/v1/namespaces/${pathSegment(opts.namespace, "namespace")}/events`, {
    types: opts.types?.join(","),
    since: opts.since,
  });
  const connect = async () => {
    const conn = new AbortController();
    const dog = watchdog(idleMs, conn);
    let res: Response;
    try {
      res = await http.fetchRaw(url, {
        headers: http.headers({
          accept: "text/event-stream",
          ...(received && last !== null ? { "last-event-id": String(last) } : {}),
        }),
        signal: AbortSignal.any([controller.signal, conn.signal]),
      });
    } catch (err) {
      dog.stop();
      if (controller.signal.aborted) throw err;
      throw new LociError({
        code: conn.signal.aborted ? "TIMEOUT" : "UNAVAILABLE",
        message: `cannot subscribe to events at ${http.baseUrl}: ${(err as Error).message}`,
        cause: err,
      });
    }
    if (!res.ok || !res.body) {
      dog.stop();
      throw errorFromWire(res.status, parseJson(await res.text().catch(() => "")) ?? null);
    }
    return { body: res.body, dog };
  };
  // The first connection is awaited so that errors (401, 403, 404) reach the caller.
  let open: Awaited<ReturnType<typeof connect>> | null = await connect();
  void (async () => {
    let delay = sse.reconnectDelayMs ?? 250;
    while (!controller.signal.aborted) {
      try {
        open ??= await connect();
        delay = sse.reconnectDelayMs ?? 250;
        for await (const msg of messages(open.body, open.dog.kick)) {
          const event = eventFromWire(JSON.parse(msg.data));
          if (last !== null && event.seq <= last) continue;
          last = event.seq;
          received = true;
          open.dog.stop(); // a slow handler is not a silent connection
          try {
            await handler(event);
          } catch {
            // a failing handler must not end the subscription
          }
          open.dog.kick();
        }
      } catch (err) {
        if (controller.signal.aborted) return;
        if (LociError.isInstance(err) && err.status < 500 && err.code !== "RATE_LIMITED") {
          sse.onError?.(err);
          return;
        }
      } finally {
        open?.dog.stop();
      }
      open = null;
      if (controller.signal.aborted) return;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(10_000, delay * 2);
    }
  })();
  return { unsubscribe: () => controller.abort() };
}
