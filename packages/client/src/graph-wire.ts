/**
 * Wire format of the knowledge-graph routes (snake_case), shared by the server and the client.
 *
 * @module
 */
import type {
  Entity,
  EntityDetails,
  GraphEdge,
  GraphExport,
  GraphPath,
  Metadata,
  Neighbor,
  TraversalResult,
} from "@loci/engine";

type Wire = Record<string, unknown>;

export function edgeToWire(e: GraphEdge): Wire {
  return {
    source: e.source,
    target: e.target,
    edge_type: e.edgeType,
    metadata: e.metadata,
    created_at: e.createdAt,
    updated_at: e.updatedAt,
  };
}

export function edgeFromWire(w: Wire): GraphEdge {
  return {
    source: w.source as GraphEdge["source"],
    target: w.target as GraphEdge["target"],
    edgeType: w.edge_type as string,
    metadata: w.metadata as Metadata,
    createdAt: w.created_at as string,
    updatedAt: w.updated_at as string,
  };
}

export function entityToWire(e: Entity | EntityDetails): Wire {
  const base: Wire = {
    type: e.type,
    name: e.name,
    properties: e.properties,
    created_at: e.createdAt,
    updated_at: e.updatedAt,
  };
  if ("outEdges" in e) {
    base.out_edges = e.outEdges.map(edgeToWire);
    base.in_edges = e.inEdges.map(edgeToWire);
  }
  return base;
}

export function entityFromWire(w: Wire): Entity {
  return {
    type: w.type as string,
    name: w.name as string,
    properties: w.properties as Metadata,
    createdAt: w.created_at as string,
    updatedAt: w.updated_at as string,
  };
}

export function entityDetailsFromWire(w: Wire): EntityDetails {
  return {
    ...entityFromWire(w),
    outEdges: (w.out_edges as Wire[]).map(edgeFromWire),
    inEdges: (w.in_edges as Wire[]).map(edgeFromWire),
  };
}

export function neighborToWire(n: Neighbor): Wire {
  return { type: n.type, name: n.name, properties: n.properties, edges: n.edges.map(edgeToWire) };
}

export function neighborFromWire(w: Wire): Neighbor {
  return {
    type: w.type as string,
    name: w.name as string,
    properties: w.properties as Metadata,
    edges: (w.edges as Wire[]).map(edgeFromWire),
  };
}

export function traversalToWire(t: TraversalResult): Wire {
  return { nodes: t.nodes, edges: t.edges.map(edgeToWire), paths: t.paths, truncated: t.truncated };
}

export function traversalFromWire(w: Wire): TraversalResult {
  return {
    nodes: w.nodes as TraversalResult["nodes"],
    edges: (w.edges as Wire[]).map(edgeFromWire),
    paths: w.paths as string[],
    truncated: w.truncated as boolean,
  };
}

export function pathToWire(p: GraphPath | null): Wire | null {
  return p === null ? null : { nodes: p.nodes, edges: p.edges.map(edgeToWire), chain: p.chain };
}

export function pathFromWire(w: Wire | null): GraphPath | null {
  return w === null
    ? null
    : {
        nodes: w.nodes as GraphPath["nodes"],
        edges: (w.edges as Wire[]).map(edgeFromWire),
        chain: w.chain as string,
      };
}

export function exportToWire(x: GraphExport): Wire {
  return { version: x.version, entities: x.entities.map(entityToWire), edges: x.edges.map(edgeToWire) };
}

/**
 * Wire → graph export. Items that are not objects are passed on as they are, for the engine's
 * import to reject by their index (`data.entities[0] must be an object`).
 */
export function exportFromWire(w: Wire): GraphExport {
  const items = <T>(list: unknown, map: (w: Wire) => T): T[] =>
    ((list as unknown[] | undefined) ?? []).map((item) =>
      typeof item === "object" && item !== null && !Array.isArray(item) ? map(item as Wire) : (item as T),
    );
  return {
    version: w.version as 1,
    entities: items(w.entities, entityFromWire),
    edges: items(w.edges, edgeFromWire),
  };
}
