/**
 * `client.knowledgeGraph.*`: entities, typed edges, traversal, export/import.
 *
 * Writes validate first, then commit through the namespace's write lock (so concurrent writers from
 * several agents serialize and lose nothing) and update the in-memory graph after the commit. Reads
 * run lock-free on the in-memory graph, which is loaded from the database on first use.
 *
 * @module
 */
import { NotFoundError, ValidationError } from "../errors.js";
import type {
  EdgeInput,
  Entity,
  EntityDetails,
  EntityRef,
  GraphEdge,
  GraphExport,
  GraphImportResult,
  GraphPath,
  KnowledgeGraphApi,
  Neighbor,
  ShortestPathOptions,
  TraversalResult,
  TraverseOptions,
} from "../graph-types.js";
import type {
  EdgeRecord,
  EdgeUpsert,
  EntityRecord,
  EntityUpsert,
  GraphUpsertResult,
} from "../storage/driver.js";
import type { Metadata } from "../types.js";
import { isoTime as iso } from "../util/iso-time.js";
import { assertInteger, validateMetadata } from "../validation.js";
import { copyJson } from "./convert.js";
import type { EngineCore } from "./core.js";
import { KnowledgeGraph } from "./graph.js";
import { exportGraph, parseImport } from "./graph-io.js";
import { assertEdgeType, GRAPH_LIMITS, toDirection, toEdgeTypeSet, toEntityLink } from "./graph-model.js";
import { chainOf, neighborEdges, shortestPath, traverse } from "./graph-query.js";
import type { NamespaceRuntime } from "./namespace-runtime.js";

// Written records are also installed in the in-memory graph: callers get their own copies of the JSON.
function entityOut(rec: EntityRecord): Entity {
  const { type, name } = rec;
  const properties = copyJson(rec.properties);
  return { type, name, properties, createdAt: iso(rec.createdAt), updatedAt: iso(rec.updatedAt) };
}

function edgeOut(kg: KnowledgeGraph, rec: EdgeRecord): GraphEdge {
  return {
    source: kg.ref(rec.sourceKey),
    target: kg.ref(rec.targetKey),
    edgeType: rec.edgeType,
    metadata: copyJson(rec.metadata),
    createdAt: iso(rec.createdAt),
    updatedAt: iso(rec.updatedAt),
  };
}

/** Validates one edge input (`maxBytes`: the engine's `limits.metadataBytes`). */
function toEdgeUpsert(e: EdgeInput, field: string, maxBytes: number): EdgeUpsert {
  if (typeof e !== "object" || e === null) {
    throw new ValidationError({ message: `${field} must be an object`, details: { field } });
  }
  return {
    source: toEntityLink(e.source, `${field}.source`),
    target: toEntityLink(e.target, `${field}.target`),
    edgeType: assertEdgeType(e.edgeType, `${field}.edgeType`),
    metadata: validateMetadata(e.metadata, `${field}.metadata`, maxBytes),
  };
}

/** Applies a committed upsert to the in-memory graph. */
function applyUpsert(kg: KnowledgeGraph, r: GraphUpsertResult): void {
  for (const e of r.entities) kg.putEntity(e);
  for (const e of r.createdEntities) kg.putEntity(e);
  for (const e of r.edges) kg.putEdge(e);
}

/** The knowledge-graph section of the embedded client. */
export class KnowledgeGraphService implements KnowledgeGraphApi {
  readonly #core: EngineCore;

  constructor(core: EngineCore) {
    this.#core = core;
  }

  /** Runs `task` with the runtime and its loaded graph (`create`: writes create the namespace on first use). */
  #with<T>(
    namespace: string,
    task: (open: { rt: NamespaceRuntime; kg: KnowledgeGraph }) => Promise<T>,
    create = false,
  ): Promise<T> {
    return this.#core.use(namespace, async (rt) => task({ rt, kg: await rt.graph() }), { create });
  }

  /** The key of an existing entity. @throws {NotFoundError} ENTITY_NOT_FOUND */
  #existing(kg: KnowledgeGraph, ns: string, ref: EntityRef, field: string): string {
    const { key } = toEntityLink(ref, field);
    if (!kg.graph.hasNode(key)) {
      throw new NotFoundError({
        code: "ENTITY_NOT_FOUND",
        message: `entity ${ref.type} "${ref.name}" not found in "${ns}"`,
        details: { field },
      });
    }
    return key;
  }

  async #upsert(
    namespace: string,
    input: { entities?: EntityUpsert[]; edges?: EdgeUpsert[] },
  ): Promise<{ kg: KnowledgeGraph; result: GraphUpsertResult }> {
    this.#core.assertOpen();
    return this.#with(
      namespace,
      async ({ rt, kg }) => {
        const result = await rt.write(async () => {
          const r = await rt.store.upsertGraph(input, this.#core.clock.now());
          applyUpsert(kg, r);
          return r;
        });
        return { kg, result };
      },
      true,
    );
  }

  async addEdge(opts: { namespace: string } & EdgeInput): Promise<GraphEdge> {
    const edge = toEdgeUpsert(opts, "edge", this.#core.limits.metadataBytes);
    const { kg, result } = await this.#upsert(opts.namespace, { edges: [edge] });
    return edgeOut(kg, result.edges[0]!);
  }

  async addEdges(opts: { namespace: string; edges: readonly EdgeInput[] }): Promise<GraphEdge[]> {
    if (!Array.isArray(opts?.edges)) {
      throw new ValidationError({ message: "edges must be an array", details: { field: "edges" } });
    }
    if (opts.edges.length > this.#core.limits.batchSize) {
      throw new ValidationError({
        code: "PAYLOAD_TOO_LARGE",
        message: `a batch holds at most ${this.#core.limits.batchSize} edges (got ${opts.edges.length})`,
        details: { field: "edges" },
      });
    }
    const max = this.#core.limits.metadataBytes;
    const edges = opts.edges.map((e, i) => toEdgeUpsert(e, `edges[${i}]`, max));
    if (edges.length === 0) return [];
    const { kg, result } = await this.#upsert(opts.namespace, { edges });
    return result.edges.map((e) => edgeOut(kg, e));
  }

  async upsertEntity(opts: { namespace: string; entity: EntityRef; properties?: Metadata }): Promise<Entity> {
    const entity = toEntityLink(opts?.entity, "entity");
    const properties = validateMetadata(opts.properties, "properties", this.#core.limits.metadataBytes);
    const { result } = await this.#upsert(opts.namespace, { entities: [{ entity, properties }] });
    return entityOut(result.entities[0]!);
  }

  async getEntity(opts: { namespace: string; entity: EntityRef }): Promise<EntityDetails> {
    return this.#with(opts?.namespace, async ({ rt, kg }) => {
      const key = this.#existing(kg, rt.name, opts.entity, "entity");
      return {
        ...kg.entity(key),
        outEdges: kg.graph.outEdges(key).map((e) => kg.edge(e)),
        inEdges: kg.graph.inEdges(key).map((e) => kg.edge(e)),
      };
    });
  }

  async removeEdge(opts: {
    namespace: string;
    source: EntityRef;
    target: EntityRef;
    edgeType: string;
  }): Promise<boolean> {
    const source = toEntityLink(opts?.source, "source");
    const target = toEntityLink(opts.target, "target");
    const edgeType = assertEdgeType(opts.edgeType);
    return this.#with(opts.namespace, async ({ rt, kg }) => {
      return rt.write(async () => {
        if (!kg.graph.hasEdge(KnowledgeGraph.edgeKey(source.key, edgeType, target.key))) return false;
        const key = { sourceKey: source.key, targetKey: target.key, edgeType };
        const removed = await rt.store.removeEdges([key], this.#core.clock.now());
        kg.dropEdge(source.key, edgeType, target.key);
        return removed.length > 0;
      });
    });
  }

  async removeEntity(opts: { namespace: string; entity: EntityRef }): Promise<boolean> {
    const { key } = toEntityLink(opts?.entity, "entity");
    return this.#with(opts.namespace, async ({ rt, kg }) => {
      return rt.write(async () => {
        if (!kg.graph.hasNode(key)) return false;
        const removed = await rt.store.removeEntity(key, this.#core.clock.now());
        kg.dropEntity(key);
        return removed !== null;
      });
    });
  }

  async neighbors(opts: {
    namespace: string;
    entity: EntityRef;
    direction?: "out" | "in" | "both";
    edgeTypes?: readonly string[];
  }): Promise<Neighbor[]> {
    const walk = {
      direction: toDirection(opts?.direction, "both"),
      edgeTypes: toEdgeTypeSet(opts?.edgeTypes),
    };
    return this.#with(opts?.namespace, async ({ rt, kg }) => {
      const key = this.#existing(kg, rt.name, opts.entity, "entity");
      return [...neighborEdges(kg, key, walk)].map(([next, edges]) => {
        const { type, name, properties } = kg.entity(next);
        return { type, name, properties, edges: edges.map((e) => kg.edge(e)) };
      });
    });
  }

  async shortestPath(opts: ShortestPathOptions): Promise<GraphPath | null> {
    const walk = {
      direction: toDirection(opts?.direction, "out"),
      edgeTypes: toEdgeTypeSet(opts?.edgeTypes),
    };
    return this.#with(opts?.namespace, async ({ rt, kg }) => {
      const from = this.#existing(kg, rt.name, opts.from, "from");
      const to = this.#existing(kg, rt.name, opts.to, "to");
      const path = shortestPath(kg, from, to, walk);
      if (!path) return null;
      return {
        nodes: path.nodes.map((k) => kg.ref(k)),
        edges: path.edges.map((e) => kg.edge(e)),
        chain: chainOf(kg, path),
      };
    });
  }

  async traverse(opts: TraverseOptions): Promise<TraversalResult> {
    const walk = {
      direction: toDirection(opts?.direction, "out"),
      edgeTypes: toEdgeTypeSet(opts?.edgeTypes),
      maxDepth:
        opts?.maxDepth === undefined
          ? 2
          : assertInteger(opts.maxDepth, "maxDepth", 0, GRAPH_LIMITS.maxTraverseDepth),
      limit:
        opts?.limit === undefined
          ? 1000
          : assertInteger(opts.limit, "limit", 1, GRAPH_LIMITS.maxTraverseNodes),
    };
    return this.#with(opts?.namespace, async ({ rt, kg }) => {
      const start = this.#existing(kg, rt.name, opts.start, "start");
      const t = traverse(kg, start, walk);
      return {
        nodes: t.nodes.map(({ key, depth }) => {
          const { type, name } = kg.graph.getNodeAttributes(key);
          return { type, name, depth, properties: kg.properties(key) };
        }),
        edges: t.edges.map((e) => kg.edge(e)),
        paths: t.paths,
        truncated: t.truncated,
      };
    });
  }

  async export(opts: { namespace: string }): Promise<GraphExport> {
    return this.#with(opts?.namespace, async ({ kg }) => {
      return exportGraph(kg);
    });
  }

  async import(opts: { namespace: string; data: GraphExport; mode?: "merge" }): Promise<GraphImportResult> {
    if (opts?.mode !== undefined && opts.mode !== "merge") {
      throw new ValidationError({ message: 'mode must be "merge"', details: { field: "mode" } });
    }
    const input = parseImport(opts?.data, this.#core.limits.metadataBytes);
    const { result } = await this.#upsert(opts.namespace, input);
    return { ...result.changed };
  }
}
