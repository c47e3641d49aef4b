/**
 * The knowledge graph of a PostgreSQL namespace (used by {@link PostgresNamespaceStore}): rows of the
 * shared `entities`, `edges` and `memory_entities` tables keyed by `ns_id`.
 *
 * A graph write runs inside the namespace's write transaction, which holds the namespace lock, so the
 * affected rows are loaded once, the merge rules of the SQLite driver are applied in memory (same
 * results and change-log entries, in the same order) and the final states are written back in a
 * couple of set-based statements.
 *
 * @module
 */
import type pg from "pg";
import type { Metadata } from "../types.js";
import type { EdgeRecord, EdgeUpsert, EntityRecord, EntityRemoval, GraphData } from "./driver.js";
import { type EndpointRef, edgeChange, edgeId } from "./graph-log.js";
import { jsonParam, run } from "./postgres-rows.js";
import type { WriteTx } from "./postgres-tx.js";

interface EntityRow {
  key: string;
  type: string;
  name: string;
  properties: Metadata;
  created_at: number;
  updated_at: number;
}

interface EdgeRow {
  source_key: string;
  target_key: string;
  edge_type: string;
  metadata: Metadata;
  created_at: number;
  updated_at: number;
}

const toEntity = (r: EntityRow): EntityRecord => ({
  key: r.key,
  type: r.type,
  name: r.name,
  properties: r.properties,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toEdge = (r: EdgeRow): EdgeRecord => ({
  sourceKey: r.source_key,
  targetKey: r.target_key,
  edgeType: r.edge_type,
  metadata: r.metadata,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** The map key of an edge. */
export const edgeMapKey = (s: string, t: string, type: string) => JSON.stringify([s, t, type]);

/** Graph operations of one namespace. */
export class PostgresGraph {
  readonly #s: string;

  constructor(
    schema: string,
    readonly nsId: number,
  ) {
    this.#s = schema;
  }

  /** Existing entities among `keys`. */
  async entities(db: pg.ClientBase, keys: Iterable<string>): Promise<Map<string, EntityRecord>> {
    const list = [...new Set(keys)];
    const out = new Map<string, EntityRecord>();
    if (list.length === 0) return out;
    const { rows } = await run<EntityRow>(
      db,
      `SELECT key, type, name, properties, created_at, updated_at FROM ${this.#s}.entities
       WHERE ns_id = $1 AND key = ANY($2::text[])`,
      [this.nsId, list],
    );
    for (const r of rows) out.set(r.key, toEntity(r));
    return out;
  }

  /** Inserts or overwrites entities with their final state. */
  async saveEntities(tx: WriteTx, list: EntityRecord[]): Promise<void> {
    if (list.length === 0) return;
    await tx.query(
      `INSERT INTO ${this.#s}.entities (ns_id, key, type, name, properties, created_at, updated_at)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::jsonb[], $6::bigint[], $7::bigint[])
       ON CONFLICT (ns_id, key) DO UPDATE SET properties = EXCLUDED.properties, updated_at = EXCLUDED.updated_at`,
      [
        this.nsId,
        list.map((e) => e.key),
        list.map((e) => e.type),
        list.map((e) => e.name),
        list.map((e) => jsonParam(e.properties)),
        list.map((e) => e.createdAt),
        list.map((e) => e.updatedAt),
      ],
    );
  }

  /** Links memories to entities (which must exist). */
  async link(tx: WriteTx, pairs: [number, string][]): Promise<void> {
    if (pairs.length === 0) return;
    await tx.query(
      `INSERT INTO ${this.#s}.memory_entities (ns_id, memory_seq, entity_key)
       SELECT $1, * FROM unnest($2::bigint[], $3::text[]) ON CONFLICT DO NOTHING`,
      [this.nsId, pairs.map((p) => p[0]), pairs.map((p) => p[1])],
    );
  }

  /** Removes the links of memories. */
  async unlink(tx: WriteTx, seqs: number[]): Promise<void> {
    if (seqs.length === 0) return;
    await tx.query(
      `DELETE FROM ${this.#s}.memory_entities WHERE ns_id = $1 AND memory_seq = ANY($2::bigint[])`,
      [this.nsId, seqs],
    );
  }

  async edges(tx: WriteTx, list: readonly EdgeUpsert[]): Promise<Map<string, EdgeRecord>> {
    const out = new Map<string, EdgeRecord>();
    if (list.length === 0) return out;
    const { rows } = await tx.query<EdgeRow>(
      `SELECT e.source_key, e.target_key, e.edge_type, e.metadata, e.created_at, e.updated_at
       FROM ${this.#s}.edges e JOIN unnest($2::text[], $3::text[], $4::text[]) AS d(s, t, y)
         ON e.source_key = d.s AND e.target_key = d.t AND e.edge_type = d.y
       WHERE e.ns_id = $1`,
      [this.nsId, list.map((u) => u.source.key), list.map((u) => u.target.key), list.map((u) => u.edgeType)],
    );
    for (const r of rows) out.set(edgeMapKey(r.source_key, r.target_key, r.edge_type), toEdge(r));
    return out;
  }

  async saveEdges(tx: WriteTx, list: EdgeRecord[]): Promise<void> {
    if (list.length === 0) return;
    await tx.query(
      `INSERT INTO ${this.#s}.edges (ns_id, source_key, target_key, edge_type, metadata, created_at, updated_at)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::jsonb[], $6::bigint[], $7::bigint[])
       ON CONFLICT (ns_id, source_key, target_key, edge_type)
       DO UPDATE SET metadata = EXCLUDED.metadata, updated_at = EXCLUDED.updated_at`,
      [
        this.nsId,
        list.map((e) => e.sourceKey),
        list.map((e) => e.targetKey),
        list.map((e) => e.edgeType),
        list.map((e) => jsonParam(e.metadata)),
        list.map((e) => e.createdAt),
        list.map((e) => e.updatedAt),
      ],
    );
  }

  /** Deletes edges, logging `edge.removed` for each that existed, in input order. */
  async removeEdges(
    tx: WriteTx,
    list: readonly { sourceKey: string; targetKey: string; edgeType: string }[],
    at: number,
  ): Promise<EdgeRecord[]> {
    if (list.length === 0) return [];
    const { rows } = await tx.query<EdgeRow>(
      `DELETE FROM ${this.#s}.edges e USING unnest($2::text[], $3::text[], $4::text[]) AS d(s, t, y)
       WHERE e.ns_id = $1 AND e.source_key = d.s AND e.target_key = d.t AND e.edge_type = d.y
       RETURNING e.source_key, e.target_key, e.edge_type, e.metadata, e.created_at, e.updated_at`,
      [this.nsId, list.map((e) => e.sourceKey), list.map((e) => e.targetKey), list.map((e) => e.edgeType)],
    );
    const gone = new Map(rows.map((r) => [edgeMapKey(r.source_key, r.target_key, r.edge_type), toEdge(r)]));
    const refs = await this.entities(
      tx.client,
      rows.flatMap((r) => [r.source_key, r.target_key]),
    );
    const ref = (key: string): EndpointRef => refs.get(key) ?? { key };
    const out: EdgeRecord[] = [];
    for (const e of list) {
      const k = edgeMapKey(e.sourceKey, e.targetKey, e.edgeType);
      const edge = gone.get(k);
      if (!edge) continue;
      gone.delete(k);
      tx.log(
        "edge.removed",
        edgeId(edge.sourceKey, edge.edgeType, edge.targetKey),
        0,
        at,
        edgeChange(ref(edge.sourceKey), ref(edge.targetKey), edge.edgeType, edge.metadata),
      );
      out.push(edge);
    }
    return out;
  }

  /** Removes an entity, its edges (each `edge.removed`) and its memory links, then logs `entity.removed`. */
  async removeEntity(tx: WriteTx, key: string, at: number): Promise<EntityRemoval | null> {
    const entity = (await this.entities(tx.client, [key])).get(key);
    if (!entity) return null;
    const { rows } = await tx.query<EdgeRow>(
      `SELECT source_key, target_key, edge_type FROM ${this.#s}.edges
       WHERE ns_id = $1 AND (source_key = $2 OR target_key = $2) ORDER BY source_key, target_key, edge_type`,
      [this.nsId, key],
    );
    const edges = await this.removeEdges(
      tx,
      rows.map((r) => ({ sourceKey: r.source_key, targetKey: r.target_key, edgeType: r.edge_type })),
      at,
    );
    const links = await tx.query<{ memory_seq: number }>(
      `DELETE FROM ${this.#s}.memory_entities WHERE ns_id = $1 AND entity_key = $2 RETURNING memory_seq`,
      [this.nsId, key],
    );
    await tx.query(`DELETE FROM ${this.#s}.entities WHERE ns_id = $1 AND key = $2`, [this.nsId, key]);
    tx.log("entity.removed", key, 0, at, { type: entity.type, name: entity.name });
    return { entity, edges, memorySeqs: links.rows.map((r) => r.memory_seq).sort((a, b) => a - b) };
  }

  /** The whole graph, read in one snapshot (the caller runs this in a REPEATABLE READ transaction). */
  async load(db: pg.ClientBase): Promise<GraphData> {
    const [e, g, l] = [
      await run<EntityRow>(
        db,
        `SELECT key, type, name, properties, created_at, updated_at FROM ${this.#s}.entities
         WHERE ns_id = $1 ORDER BY key`,
        [this.nsId],
      ),
      await run<EdgeRow>(
        db,
        `SELECT source_key, target_key, edge_type, metadata, created_at, updated_at FROM ${this.#s}.edges
         WHERE ns_id = $1 ORDER BY source_key, target_key, edge_type`,
        [this.nsId],
      ),
      await run<{ memory_seq: number; entity_key: string }>(
        db,
        `SELECT memory_seq, entity_key FROM ${this.#s}.memory_entities WHERE ns_id = $1 ORDER BY memory_seq, entity_key`,
        [this.nsId],
      ),
    ];
    return {
      entities: e.rows.map(toEntity),
      edges: g.rows.map(toEdge),
      links: l.rows.map((r): [number, string] => [r.memory_seq, r.entity_key]),
    };
  }
}
