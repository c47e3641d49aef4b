/**
 * Public types of the knowledge graph (`client.knowledgeGraph`), re-exported by `types.ts`.
 *
 * An entity is `{ type, name }`; its identity is the type plus the case-folded, trimmed,
 * whitespace-collapsed name, so `"Acme Corp"` and `" acme  CORP "` are the same entity (it keeps the
 * display name it was first given). An edge is directed and identified by (source, target, edge type):
 * adding it again merges its metadata.
 *
 * @module
 */
import type { Metadata } from "./types.js";

/** An entity reference: `type` is `[a-z][a-z0-9_]*` (≤ 64 chars); `name` is 1–256 chars. */
export interface EntityRef {
  type: string;
  name: string;
}

/** The built-in edge types; any other `[a-z][a-z0-9_]*` string (≤ 64 chars) is a custom type. */
export type BuiltinEdgeType = "relates_to" | "works_at" | "part_of" | "depends_on";

/** Which edges a walk follows: outgoing, incoming or both. */
export type GraphDirection = "out" | "in" | "both";

/** A stored entity. */
export interface Entity extends EntityRef {
  properties: Metadata;
  createdAt: string;
  updatedAt: string;
}

/** An entity with its edges, as returned by `getEntity`. */
export interface EntityDetails extends Entity {
  outEdges: GraphEdge[];
  inEdges: GraphEdge[];
}

/** A stored edge. Entities appear with their display names. */
export interface GraphEdge {
  source: EntityRef;
  target: EntityRef;
  edgeType: string;
  metadata: Metadata;
  createdAt: string;
  updatedAt: string;
}

/** An edge to add (in `addEdge` and `addEdges`). */
export interface EdgeInput {
  source: EntityRef;
  target: EntityRef;
  /** A built-in type or a custom `[a-z][a-z0-9_]*` type. */
  edgeType: BuiltinEdgeType | (string & {});
  /** Shallow-merged into the edge's metadata when it exists (new keys win). */
  metadata?: Metadata;
}

/** A neighbour of an entity with the edges connecting them. */
export interface Neighbor extends EntityRef {
  properties: Metadata;
  /** Every matching edge between the entity and this neighbour (either direction with `both`). */
  edges: GraphEdge[];
}

/** Options of `traverse`. */
export interface TraverseOptions {
  namespace: string;
  start: EntityRef;
  /** Hops from the start, 0–6. @default 2 */
  maxDepth?: number;
  /** Follow only these edge types. @default all */
  edgeTypes?: readonly string[];
  /** @default "out" */
  direction?: GraphDirection;
  /** At most this many nodes (the start included), 1–10,000. @default 1000 */
  limit?: number;
}

/** One node reached by a traversal. */
export interface TraversalNode extends EntityRef {
  /** Hops from the start (0 for the start). */
  depth: number;
  properties: Metadata;
}

/** What `traverse` returns. */
export interface TraversalResult {
  /** Breadth-first order: the start, then depth 1, depth 2, … */
  nodes: TraversalNode[];
  /** Every matching edge followed between reached nodes (including edges that close cycles). */
  edges: GraphEdge[];
  /**
   * `paths[i]` is the chain from the start to `nodes[i]`, e.g.
   * `Alice Chen -works_at-> Acme Corp -considering-> Enterprise Plan Q2` (`<-type-` for an edge
   * followed backwards); the start's own path is its name.
   */
  paths: string[];
  /** True when `limit` stopped the walk early. */
  truncated: boolean;
}

/** Options of `shortestPath`. */
export interface ShortestPathOptions {
  namespace: string;
  from: EntityRef;
  to: EntityRef;
  /** @default "out" (edges are followed in their direction) */
  direction?: GraphDirection;
  edgeTypes?: readonly string[];
}

/** A path between two entities. */
export interface GraphPath {
  nodes: EntityRef[];
  /** `edges[i]` connects `nodes[i]` and `nodes[i + 1]`. */
  edges: GraphEdge[];
  /** The readable chain, as in traversal paths. */
  chain: string;
}

/** Options of graph-aware search (`memory.search({ …, graph })`). */
export interface GraphSearchOptions {
  /** Hops from the entities named in the query, 0–4. @default 1 */
  depth?: number;
  /** Weight of the graph score in relevance, in [0, 1]. @default 0.5 */
  weight?: number;
  /**
   * Whether memories linked to a reached entity join the candidates (up to 4,096). `false`: the graph
   * score only re-ranks the candidates the vector and keyword sides found (cheaper, and on long
   * conversations more precise: an entity linked to half the namespace no longer floods the candidates).
   * @default true
   */
  expand?: boolean;
}

/** A namespace's knowledge graph as JSON (`export` / `import`). */
export interface GraphExport {
  version: 1;
  entities: Entity[];
  edges: GraphEdge[];
}

/** What `import` changed: entities and edges created or whose data changed (0 and 0 on a re-import). */
export interface GraphImportResult {
  entities: number;
  edges: number;
}

/** Knowledge-graph operations (`client.knowledgeGraph`). Writes create the namespace on first use. */
export interface KnowledgeGraphApi {
  /** Adds an edge, creating missing entities; the same (source, target, edgeType) merges metadata. */
  addEdge(opts: { namespace: string } & EdgeInput): Promise<GraphEdge>;
  /** Adds up to 1,000 edges atomically (all or none), in order. */
  addEdges(opts: { namespace: string; edges: readonly EdgeInput[] }): Promise<GraphEdge[]>;
  /** Creates an entity or merges `properties` into it (shallow, new keys win). */
  upsertEntity(opts: { namespace: string; entity: EntityRef; properties?: Metadata }): Promise<Entity>;
  /** @throws {NotFoundError} ENTITY_NOT_FOUND */
  getEntity(opts: { namespace: string; entity: EntityRef }): Promise<EntityDetails>;
  /** Returns false if there was no such edge. */
  removeEdge(opts: {
    namespace: string;
    source: EntityRef;
    target: EntityRef;
    edgeType: string;
  }): Promise<boolean>;
  /** Removes an entity with its edges and memory links (the memories stay). False if unknown. */
  removeEntity(opts: { namespace: string; entity: EntityRef }): Promise<boolean>;
  /** Adjacent entities. @throws {NotFoundError} ENTITY_NOT_FOUND */
  neighbors(opts: {
    namespace: string;
    entity: EntityRef;
    /** @default "both" */
    direction?: GraphDirection;
    edgeTypes?: readonly string[];
  }): Promise<Neighbor[]>;
  /** A shortest path (fewest hops), or null. @throws {NotFoundError} ENTITY_NOT_FOUND */
  shortestPath(opts: ShortestPathOptions): Promise<GraphPath | null>;
  /** Breadth-first walk from `start`. @throws {NotFoundError} ENTITY_NOT_FOUND */
  traverse(opts: TraverseOptions): Promise<TraversalResult>;
  /** The whole graph as JSON. */
  export(opts: { namespace: string }): Promise<GraphExport>;
  /** Merges an export into a namespace, atomically; importing the same data again changes nothing. */
  import(opts: { namespace: string; data: GraphExport; mode?: "merge" }): Promise<GraphImportResult>;
}
