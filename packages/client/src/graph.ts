/**
 * `client.knowledgeGraph` over HTTP.
 *
 * @module
 */
import type { EdgeInput, EntityRef, KnowledgeGraphApi } from "@loci/engine";
import { LociError } from "@loci/engine";
import * as g from "./graph-wire.js";
import { type HttpTransport, newIdempotencyKey } from "./http.js";
import { pathSegment } from "./url-path.js";

type Wire = Record<string, unknown>;
const graphPath = (ns: string) => `/v1/namespaces/${pathSegment(ns, "namespace")}/graph`;
const entityPath = (ns: string, e: EntityRef) =>
  `${graphPath(ns)}/entities/${pathSegment(e.type, "entity.type")}/${pathSegment(e.name, "entity.name")}`;
const signalOf = (o: unknown) => (o as { signal?: AbortSignal } | undefined)?.signal;
const edgeBody = (e: EdgeInput) => ({
  source: e.source,
  target: e.target,
  edge_type: e.edgeType,
  ...(e.metadata === undefined ? {} : { metadata: e.metadata }),
});

/** Builds the knowledge-graph section of `LociClient`. */
export function graphApi(http: HttpTransport): KnowledgeGraphApi {
  const post = async <T>(path: string, body: unknown, o: unknown, safe = false) =>
    (await http.request<T>({ method: "POST", path, body, signal: signalOf(o), safe })).body;
  // Edge adds merge by (source, target, type), so a retried one is applied once: keyed, and retried.
  const postKeyed = async <T>(path: string, body: unknown, o: unknown) =>
    (
      await http.request<T>({
        method: "POST",
        path,
        body,
        signal: signalOf(o),
        safe: false,
        idempotencyKey: newIdempotencyKey(),
      })
    ).body;
  return {
    async addEdge(o) {
      return g.edgeFromWire(await postKeyed<Wire>(`${graphPath(o.namespace)}/edges`, edgeBody(o), o));
    },
    async addEdges(o) {
      const body = { edges: o.edges.map(edgeBody) };
      return (await postKeyed<{ items: Wire[] }>(`${graphPath(o.namespace)}/edges/batch`, body, o)).items.map(
        g.edgeFromWire,
      );
    },
    async upsertEntity(o) {
      const r = await http.request<Wire>({
        method: "PUT",
        path: entityPath(o.namespace, o.entity),
        body: { properties: o.properties ?? {} },
        signal: signalOf(o),
        safe: false,
      });
      return g.entityFromWire(r.body);
    },
    async getEntity(o) {
      const r = await http.request<Wire>({
        method: "GET",
        path: entityPath(o.namespace, o.entity),
        signal: signalOf(o),
        safe: true,
      });
      return g.entityDetailsFromWire(r.body);
    },
    async removeEdge(o) {
      const body = { source: o.source, target: o.target, edge_type: o.edgeType };
      return (await post<{ removed: boolean }>(`${graphPath(o.namespace)}/edges/remove`, body, o)).removed;
    },
    async removeEntity(o) {
      try {
        await http.request({
          method: "DELETE",
          path: entityPath(o.namespace, o.entity),
          signal: signalOf(o),
          safe: false,
        });
        return true;
      } catch (err) {
        if (LociError.isInstance(err) && err.code === "ENTITY_NOT_FOUND") return false;
        throw err;
      }
    },
    async neighbors(o) {
      const r = await http.request<{ items: Wire[] }>({
        method: "GET",
        path: `${entityPath(o.namespace, o.entity)}/neighbors`,
        query: { direction: o.direction, edge_types: o.edgeTypes?.join(",") },
        signal: signalOf(o),
        safe: true,
      });
      return r.body.items.map(g.neighborFromWire);
    },
    async shortestPath(o) {
      const body = { from: o.from, to: o.to, direction: o.direction, edge_types: o.edgeTypes };
      return g.pathFromWire(
        (await post<{ path: Wire | null }>(`${graphPath(o.namespace)}/shortest-path`, body, o, true)).path,
      );
    },
    async traverse(o) {
      const body = {
        start: o.start,
        max_depth: o.maxDepth,
        edge_types: o.edgeTypes,
        direction: o.direction,
        limit: o.limit,
      };
      return g.traversalFromWire(await post<Wire>(`${graphPath(o.namespace)}/traverse`, body, o, true));
    },
    async export(o) {
      const r = await http.request<Wire>({
        method: "GET",
        path: `${graphPath(o.namespace)}/export`,
        signal: signalOf(o),
        safe: true,
      });
      return g.exportFromWire(r.body);
    },
    async import(o) {
      const body = { data: g.exportToWire(o.data), ...(o.mode ? { mode: o.mode } : {}) };
      return post<{ entities: number; edges: number }>(`${graphPath(o.namespace)}/import`, body, o);
    },
  };
}
