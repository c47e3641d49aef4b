/**
 * Knowledge-graph export and import as JSON: `{ version: 1, entities: [...], edges: [...] }`.
 * Import merges (entities' properties and edges' metadata are shallow-merged, as in `upsertEntity`
 * and `addEdge`) in one transaction and keeps the exported timestamps of what it creates; importing
 * the same data twice changes nothing the second time.
 *
 * GraphML is not offered: graphology-graphml 0.5 only parses GraphML (it has no writer), so a
 * round trip is not possible with it.
 *
 * @module
 */
import { ValidationError } from "../errors.js";
import type { GraphExport } from "../graph-types.js";
import type { EdgeUpsert, EntityUpsert } from "../storage/driver.js";
import type { TimeInput } from "../types.js";
import { LIMITS, toEpochMs, validateMetadata } from "../validation.js";
import type { KnowledgeGraph } from "./graph.js";
import { assertEdgeType, GRAPH_LIMITS, toEntityLink } from "./graph-model.js";

const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The whole graph as JSON, in a stable order (entities by identity, edges by source, type, target). */
export function exportGraph(kg: KnowledgeGraph): GraphExport {
  return {
    version: 1,
    entities: kg.graph
      .nodes()
      .sort(byKey)
      .map((key) => kg.entity(key)),
    edges: kg.graph
      .edges()
      .sort(byKey)
      .map((key) => kg.edge(key)),
  };
}

function fail(message: string, field: string): never {
  throw new ValidationError({ message, details: { field } });
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    fail(`${field} must be an object`, field);
  return value as Record<string, unknown>;
}

function times(item: Record<string, unknown>, field: string): { createdAt?: number; updatedAt?: number } {
  const out: { createdAt?: number; updatedAt?: number } = {};
  if (item.createdAt !== undefined)
    out.createdAt = toEpochMs(item.createdAt as TimeInput, `${field}.createdAt`);
  if (item.updatedAt !== undefined)
    out.updatedAt = toEpochMs(item.updatedAt as TimeInput, `${field}.updatedAt`);
  return out;
}

/**
 * Validates an export for import (`maxBytes`: the bound of each properties / metadata object as JSON,
 * the engine's `limits.metadataBytes`). @throws {ValidationError} naming the first bad field
 */
export function parseImport(
  data: unknown,
  maxBytes: number = LIMITS.metadataBytes,
): { entities: EntityUpsert[]; edges: EdgeUpsert[] } {
  const root = object(data, "data");
  if (root.version !== 1) fail("data.version must be 1", "data.version");
  const entities = root.entities ?? [];
  const edges = root.edges ?? [];
  if (!Array.isArray(entities)) fail("data.entities must be an array", "data.entities");
  if (!Array.isArray(edges)) fail("data.edges must be an array", "data.edges");
  if (entities.length + edges.length > GRAPH_LIMITS.importItems) {
    throw new ValidationError({
      code: "PAYLOAD_TOO_LARGE",
      message: `an import holds at most ${GRAPH_LIMITS.importItems} entities and edges`,
      details: { field: "data" },
    });
  }
  return {
    entities: entities.map((v, i) => {
      const field = `data.entities[${i}]`;
      const item = object(v, field);
      return {
        entity: toEntityLink(item, field),
        properties: validateMetadata(item.properties, `${field}.properties`, maxBytes),
        ...times(item, field),
      };
    }),
    edges: edges.map((v, i) => {
      const field = `data.edges[${i}]`;
      const item = object(v, field);
      return {
        source: toEntityLink(item.source, `${field}.source`),
        target: toEntityLink(item.target, `${field}.target`),
        edgeType: assertEdgeType(item.edgeType, `${field}.edgeType`),
        metadata: validateMetadata(item.metadata, `${field}.metadata`, maxBytes),
        ...times(item, field),
      };
    }),
  };
}
