/**
 * `upsertGraph` of the PostgreSQL driver: loads the entities and edges the input touches (under the
 * namespace lock), applies the SQLite driver's merge rules in memory, logging the same changes in the
 * same order, and writes the final states back with two set-based upserts.
 *
 * @module
 */
import type { Metadata } from "../types.js";
import type {
  EdgeRecord,
  EdgeUpsert,
  EntityLink,
  EntityRecord,
  EntityUpsert,
  GraphUpsertResult,
} from "./driver.js";
import { edgeChange, edgeId, newEdgeRecord } from "./graph-log.js";
import { edgeMapKey, type PostgresGraph } from "./postgres-graph.js";
import { jsonEqual } from "./postgres-rows.js";
import type { WriteTx } from "./postgres-tx.js";

/** Shallow merge, new keys win, normalised as JSON. */
const merge = (before: Metadata, patch: Metadata): Metadata =>
  JSON.parse(JSON.stringify({ ...before, ...patch })) as Metadata;

/**
 * Upserts entities, then edges (see {@link NamespaceStore.upsertGraph}), inside a write.
 */
export async function upsertGraph(
  graph: PostgresGraph,
  tx: WriteTx,
  input: { entities?: readonly EntityUpsert[]; edges?: readonly EdgeUpsert[] },
  at: number,
): Promise<GraphUpsertResult> {
  const eIn = input.entities ?? [];
  const gIn = input.edges ?? [];
  const known = await graph.entities(tx.client, [
    ...eIn.map((u) => u.entity.key),
    ...gIn.flatMap((u) => [u.source.key, u.target.key]),
  ]);
  const edges = await graph.edges(tx, gIn);
  const dirtyEntities = new Map<string, EntityRecord>();
  const dirtyEdges = new Map<string, EdgeRecord>();
  const changed = { entities: 0, edges: 0 };
  const createdEntities: EntityRecord[] = [];

  const ensure = (
    link: EntityLink,
    times: { createdAt?: number; updatedAt?: number },
    properties: Metadata,
  ) => {
    const found = known.get(link.key);
    if (found) return { entity: found, created: false };
    const entity: EntityRecord = {
      key: link.key,
      type: link.type,
      name: link.name,
      properties,
      createdAt: times.createdAt ?? at,
      updatedAt: times.updatedAt ?? times.createdAt ?? at,
    };
    known.set(entity.key, entity);
    dirtyEntities.set(entity.key, entity);
    tx.log("entity.added", entity.key, 0, at, { type: entity.type, name: entity.name, properties });
    return { entity, created: true };
  };

  const entities = eIn.map((u) => {
    const { entity, created } = ensure(u.entity, u, u.properties);
    if (created) {
      changed.entities++;
      return entity;
    }
    const value = merge(entity.properties, u.properties);
    if (jsonEqual(value, entity.properties)) return entity;
    const next = { ...entity, properties: value, updatedAt: at };
    known.set(next.key, next);
    dirtyEntities.set(next.key, next);
    tx.log("entity.updated", next.key, 0, at, { type: next.type, name: next.name, properties: value });
    changed.entities++;
    return next;
  });

  const edgeOut = gIn.map((u) => {
    const source = ensure(u.source, {}, {});
    const target = ensure(u.target, {}, {});
    if (source.created) createdEntities.push(source.entity);
    if (target.created) createdEntities.push(target.entity);
    const s = source.entity;
    const t = target.entity;
    const id = edgeId(s.key, u.edgeType, t.key);
    const payload = (metadata: Metadata) => edgeChange(s, t, u.edgeType, metadata);
    const k = edgeMapKey(s.key, t.key, u.edgeType);
    const row = edges.get(k);
    if (!row) {
      const edge = newEdgeRecord(s.key, t.key, u, at);
      edges.set(k, edge);
      dirtyEdges.set(k, edge);
      tx.log("edge.added", id, 0, at, payload(u.metadata));
      changed.edges++;
      return edge;
    }
    const value = merge(row.metadata, u.metadata);
    if (jsonEqual(value, row.metadata)) return row;
    const next = { ...row, metadata: value, updatedAt: at };
    edges.set(k, next);
    dirtyEdges.set(k, next);
    tx.log("edge.updated", id, 0, at, payload(value));
    changed.edges++;
    return next;
  });
  changed.entities += createdEntities.length;

  await graph.saveEntities(tx, [...dirtyEntities.values()]);
  await graph.saveEdges(tx, [...dirtyEdges.values()]);
  return { entities, edges: edgeOut, createdEntities, changed };
}
