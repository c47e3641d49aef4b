/**
 * `@loci/client`: the HTTP client of the Loci REST server. `LociClient` implements the engine's
 * `MemoryClient` interface, with typed errors, retries of safe operations, and resumable SSE events.
 *
 * @example
 * ```ts
 * import { LociClient } from "@loci/client";
 * const client = new LociClient({ baseUrl: "http://localhost:3300", apiKey: process.env.LOCI_API_KEY });
 * const hits = await client.memory.search({ namespace: "team-shared", query: "renewal date" });
 * ```
 * @module
 */
export { LociClient, type LociClientOptions } from "./client.js";
export * as graphWire from "./graph-wire.js";
export {
  errorFromWire,
  type HttpRequest,
  HttpTransport,
  type HttpTransportOptions,
  newIdempotencyKey,
} from "./http.js";
export { FILTER_QUERY_MAX_CHARS } from "./lists.js";
export type { SseOptions } from "./sse.js";
export * as wire from "./wire.js";
