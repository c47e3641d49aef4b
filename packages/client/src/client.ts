/**
 * `LociClient`: the HTTP implementation of the engine's `MemoryClient` interface. Code written
 * against `MemoryClient` runs unchanged against the embedded engine or a Loci server.
 *
 * Every method's options object also accepts `signal` (an `AbortSignal`).
 *
 * @module
 */
import type {
  AddOptions,
  DeleteManyResult,
  EventsApi,
  KnowledgeGraphApi,
  ListMemoriesOptions,
  ListSessionsOptions,
  LociEvent,
  Memory,
  MemoryApi,
  MemoryClient,
  MemoryInput,
  MemoryPatch,
  Metadata,
  Namespace,
  NamespaceApi,
  NamespaceConfigInput,
  Page,
  SearchOptions,
  SearchResult,
  Session,
  SessionApi,
  SubscribeOptions,
  Subscription,
} from "@loci/engine";
import { LociError, streamEvents } from "@loci/engine";
import { graphApi } from "./graph.js";
import { HttpTransport, type HttpTransportOptions, newIdempotencyKey } from "./http.js";
import { listRequest } from "./lists.js";
import { type SseOptions, subscribeSse } from "./sse.js";
import { pathSegment } from "./url-path.js";
import * as wire from "./wire.js";

/** Options of {@link LociClient}. */
export interface LociClientOptions extends HttpTransportOptions {
  /** Reconnect behaviour of event subscriptions. */
  events?: SseOptions;
}

type Wire = Record<string, unknown>;
type Signal = { signal?: AbortSignal };
type WirePage = { items: Wire[]; next_cursor: string | null };
const seg = (id: string) => pathSegment(id, "id");
const nsPath = (ns: string) => `/v1/namespaces/${pathSegment(ns, "namespace")}`;
const signalOf = (o: unknown) => (o as Signal | undefined)?.signal;
/** `AddOptions` on the wire (absent unless set, so older servers see the body they know). */
const addOptions = (o: AddOptions) => ({
  ...(o.refuseRemovedIds === undefined ? {} : { refuse_removed_ids: o.refuseRemovedIds }),
  ...(o.dedupe === undefined ? {} : { dedupe: o.dedupe }),
});

function page<T>(body: WirePage, map: (w: Wire) => T): Page<T> {
  return { items: body.items.map(map), nextCursor: body.next_cursor };
}

/**
 * `false` instead of the not-found error of the deleted thing itself (for deletes). Any other error
 * stays one, as in the embedded engine: a missing namespace when deleting a memory, or a 404 of a
 * route that does not exist (a wrong `baseUrl`).
 */
async function existed(
  p: Promise<unknown>,
  code: "NAMESPACE_NOT_FOUND" | "MEMORY_NOT_FOUND",
): Promise<boolean> {
  try {
    await p;
    return true;
  } catch (err) {
    if (LociError.isInstance(err) && err.code === code) return false;
    throw err;
  }
}

/**
 * A client of a Loci server.
 *
 * @example
 * ```ts
 * const client = new LociClient({ baseUrl: "http://localhost:3300", apiKey: process.env.LOCI_API_KEY });
 * await client.memory.add({ namespace: "researcher", content: "Acme renews in Q2" });
 * ```
 */
export class LociClient implements MemoryClient {
  readonly namespace: NamespaceApi;
  readonly memory: MemoryApi;
  readonly session: SessionApi;
  readonly events: EventsApi;
  readonly knowledgeGraph: KnowledgeGraphApi;
  /** The HTTP transport (for routes without a typed method, e.g. key management). */
  readonly http: HttpTransport;

  constructor(opts: LociClientOptions) {
    const http = new HttpTransport(opts);
    this.http = http;
    this.namespace = {
      async create(o) {
        const body = {
          name: o.name,
          description: o.description,
          config: o.config ? wire.configToWire(o.config) : undefined,
        };
        const r = await http.request<Wire>({
          method: "POST",
          path: "/v1/namespaces",
          body,
          signal: signalOf(o),
          safe: false,
        });
        return wire.namespaceFromWire(r.body);
      },
      async get(o) {
        const r = await http.request<Wire>({
          method: "GET",
          path: nsPath(o.namespace),
          signal: signalOf(o),
          safe: true,
        });
        return wire.namespaceFromWire(r.body);
      },
      async list(o = {}) {
        const r = await http.request<WirePage>({
          method: "GET",
          path: "/v1/namespaces",
          query: { cursor: o.cursor, limit: o.limit },
          signal: signalOf(o),
          safe: true,
        });
        return page(r.body, wire.namespaceFromWire);
      },
      async configure(
        o: { namespace: string; description?: string } & NamespaceConfigInput,
      ): Promise<Namespace> {
        const { namespace, description, ...config } = o as typeof o & Signal;
        delete (config as Signal).signal;
        const body = { description, config: wire.configToWire(config) };
        const r = await http.request<Wire>({
          method: "PATCH",
          path: nsPath(namespace),
          body,
          signal: signalOf(o),
          safe: false,
        });
        return wire.namespaceFromWire(r.body);
      },
      delete: async (o) =>
        existed(
          http.request({ method: "DELETE", path: nsPath(o.namespace), signal: signalOf(o), safe: false }),
          "NAMESPACE_NOT_FOUND",
        ),
    };

    const memories = (ns: string) => `${nsPath(ns)}/memories`;
    const search = async (o: SearchOptions): Promise<SearchResult[]> => {
      const multi = o.namespaces !== undefined;
      const { namespace, ...rest } = o;
      const body = wire.searchToWire(
        multi && namespace !== undefined
          ? { ...rest, namespaces: [namespace, ...(o.namespaces ?? [])] }
          : rest,
      );
      const path = multi || namespace === undefined ? "/v1/search" : `${nsPath(namespace)}/search`;
      const r = await http.request<{ results: Wire[] }>({
        method: "POST",
        path,
        body,
        signal: signalOf(o),
        safe: true,
      });
      return r.body.results.map(wire.resultFromWire);
    };
    const add = async (o: { namespace: string } & MemoryInput & AddOptions): Promise<Memory> => {
      const r = await http.request<Wire>({
        method: "POST",
        path: memories(o.namespace),
        body: { ...wire.memoryInputToWire(o), ...addOptions(o) },
        signal: signalOf(o),
        safe: false,
        idempotencyKey: newIdempotencyKey(),
      });
      return wire.memoryFromWire(r.body);
    };
    this.memory = {
      add,
      store: add,
      async addMany(o) {
        const body = { memories: o.memories.map((m) => wire.memoryInputToWire(m)), ...addOptions(o) };
        const r = await http.request<{ items: Wire[] }>({
          method: "POST",
          path: `${memories(o.namespace)}/batch`,
          body,
          signal: signalOf(o),
          safe: false,
          idempotencyKey: newIdempotencyKey(),
        });
        return r.body.items.map(wire.memoryFromWire);
      },
      async get(o) {
        const r = await http.request<Wire>({
          method: "GET",
          path: `${memories(o.namespace)}/${seg(o.id)}`,
          signal: signalOf(o),
          safe: true,
        });
        return wire.memoryFromWire(r.body);
      },
      async update(o: { namespace: string; id: string } & MemoryPatch) {
        const r = await http.request<Wire>({
          method: "PATCH",
          path: `${memories(o.namespace)}/${seg(o.id)}`,
          body: wire.memoryPatchToWire(o),
          signal: signalOf(o),
          safe: false,
        });
        return wire.memoryFromWire(r.body);
      },
      delete: async (o) =>
        existed(
          http.request({
            method: "DELETE",
            path: `${memories(o.namespace)}/${seg(o.id)}`,
            signal: signalOf(o),
            safe: false,
          }),
          "MEMORY_NOT_FOUND",
        ),
      async count(o) {
        const r = await http.request<{ count: number }>({
          method: "POST",
          path: `${memories(o.namespace)}/count`,
          body: wire.countToWire(o),
          signal: signalOf(o),
          safe: true,
        });
        return r.body.count;
      },
      async deleteMany(o) {
        const r = await http.request<DeleteManyResult>({
          method: "POST",
          path: `${memories(o.namespace)}/delete`,
          body: wire.deleteManyToWire(o),
          signal: signalOf(o),
          safe: false,
        });
        return { deleted: r.body.deleted };
      },
      async list(o: ListMemoriesOptions) {
        const params = { session_id: o.sessionId, cursor: o.cursor, limit: o.limit };
        const r = await http.request<WirePage>(
          listRequest(memories(o.namespace), params, o.filter, signalOf(o)),
        );
        return page(r.body, wire.memoryFromWire);
      },
      search,
      recall: ({ topK, ...o }) => search({ ...o, ...(topK === undefined ? {} : { limit: topK }) }),
    };

    const sessions = (ns: string) => `${nsPath(ns)}/sessions`;
    this.session = {
      async create(o: { namespace: string; metadata?: Metadata; id?: string }): Promise<Session> {
        const r = await http.request<Wire>({
          method: "POST",
          path: sessions(o.namespace),
          body: { metadata: o.metadata, id: o.id },
          signal: signalOf(o),
          safe: false,
          idempotencyKey: newIdempotencyKey(),
        });
        return wire.sessionFromWire(r.body);
      },
      async get(o) {
        const r = await http.request<Wire>({
          method: "GET",
          path: `${sessions(o.namespace)}/${seg(o.id)}`,
          signal: signalOf(o),
          safe: true,
        });
        return wire.sessionFromWire(r.body);
      },
      async list(o: ListSessionsOptions) {
        const params = { status: o.status, cursor: o.cursor, limit: o.limit };
        const r = await http.request<WirePage>(
          listRequest(sessions(o.namespace), params, o.filter, signalOf(o)),
        );
        return page(r.body, wire.sessionFromWire);
      },
      async end(o) {
        const r = await http.request<Wire>({
          method: "POST",
          path: `${sessions(o.namespace)}/${seg(o.id)}/end`,
          signal: signalOf(o),
          safe: false,
        });
        return wire.sessionFromWire(r.body);
      },
    };

    this.knowledgeGraph = graphApi(http);
    this.events = {
      subscribe: (
        o: SubscribeOptions,
        handler: (e: LociEvent) => void | Promise<void>,
      ): Promise<Subscription> => subscribeSse(http, o, handler, opts.events),
      stream: (o) => streamEvents((so, h) => subscribeSse(http, so, h, opts.events), o),
    };
  }

  /** Nothing to release (HTTP is connectionless); present for `MemoryClient` parity. */
  async close(): Promise<void> {}
}
