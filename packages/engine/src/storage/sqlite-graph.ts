/**
 * The knowledge-graph tables of a namespace database (used by {@link SqliteNamespaceStore}):
 * entities, typed edges (one row per source, target and edge type) and memory → entity links.
 *
 * Every method is synchronous and runs inside a transaction opened by the caller; each change is
 * appended to the change log through the `log` callback in that same transaction.
 *
 * @module
 */
import type BetterSqlite3 from "better-sqlite3-multiple-ciphers";
import type { Metadata } from "../types.js";
import type {
  ChangeType,
  EdgeRecord,
  EdgeUpsert,
  EntityLink,
  EntityRecord,
  EntityRemoval,
  EntityUpsert,
  GraphData,
} from "./driver.js";
import { type EndpointRef, edgeChange, edgeId, newEdgeRecord } from "./graph-log.js";
import type { StatementCache } from "./sqlite-statements.js";

export const GRAPH_SCHEMA = `
CREATE TABLE IF NOT EXISTS entities (
  key TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  properties TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS edges (
  source_key TEXT NOT NULL,
  target_key TEXT NOT NULL,
  edge_type TEXT NOT NULL,
  metadata TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (source_key, target_key, edge_type)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS edges_target ON edges(target_key);
CREATE TABLE IF NOT EXISTS memory_entities (
  memory_seq INTEGER NOT NULL,
  entity_key TEXT NOT NULL,
  PRIMARY KEY (memory_seq, entity_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS memory_entities_entity ON memory_entities(entity_key);
`;

/** Appends one change-log entry (inside the caller's transaction). */
export type LogChange = (type: ChangeType, id: string, seq: number, at: number, payload: Metadata) => void;

interface EntityRow {
  key: string;
  type: string;
  name: string;
  properties: string;
  created_at: number;
  updated_at: number;
}

interface EdgeRow {
  source_key: string;
  target_key: string;
  edge_type: string;
  metadata: string;
  created_at: number;
  updated_at: number;
}

const toEntity = (r: EntityRow): EntityRecord => ({
  key: r.key,
  type: r.type,
  name: r.name,
  properties: JSON.parse(r.properties) as Metadata,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toEdge = (r: EdgeRow): EdgeRecord => ({
  sourceKey: r.source_key,
  targetKey: r.target_key,
  edgeType: r.edge_type,
  metadata: JSON.parse(r.metadata) as Metadata,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Shallow merge (new keys win) as JSON; `changed` is false when the result equals `before`. */
function merge(before: string, patch: Metadata): { json: string; value: Metadata; changed: boolean } {
  const value = { ...(JSON.parse(before) as Metadata), ...patch };
  const json = JSON.stringify(value);
  return { json, value, changed: json !== before };
}

/** Synchronous graph operations over one namespace database. */
export class SqliteGraph {
  readonly #statements: StatementCache;
  readonly #db: BetterSqlite3.Database;
  readonly #log: LogChange;
  readonly #entity: BetterSqlite3.Statement;
  readonly #insertEntity: BetterSqlite3.Statement;
  readonly #edge: BetterSqlite3.Statement;
  readonly #insertEdge: BetterSqlite3.Statement;
  readonly #link: BetterSqlite3.Statement;
  /**
   * Whether any memory may be linked to an entity (set by a link, never cleared: a bound, so reads of
   * memories in namespaces without a graph skip the link query).
   */
  #mayHaveLinks: boolean;

  constructor(db: BetterSqlite3.Database, statements: StatementCache, log: LogChange) {
    this.#db = db;
    this.#statements = statements;
    this.#log = log;
    db.exec(GRAPH_SCHEMA);
    this.#entity = db.prepare("SELECT * FROM entities WHERE key = ?");
    this.#insertEntity = db.prepare(
      "INSERT INTO entities (key, type, name, properties, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.#edge = db.prepare("SELECT * FROM edges WHERE source_key = ? AND target_key = ? AND edge_type = ?");
    this.#insertEdge = db.prepare(
      `INSERT INTO edges (source_key, target_key, edge_type, metadata, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.#link = db.prepare("INSERT OR IGNORE INTO memory_entities (memory_seq, entity_key) VALUES (?, ?)");
    this.#mayHaveLinks = db.prepare("SELECT EXISTS (SELECT 1 FROM memory_entities)").pluck().get() === 1;
  }

  #get(key: string): EntityRecord | null {
    const row = this.#entity.get(key) as EntityRow | undefined;
    return row ? toEntity(row) : null;
  }

  #ref(key: string): EndpointRef {
    return this.#get(key) ?? { key };
  }

  /** Returns the entity, creating it (with `entity.added`) when missing. */
  #ensure(
    link: EntityLink,
    at: number,
    times: { createdAt?: number; updatedAt?: number } = {},
    properties: Metadata = {},
  ): { entity: EntityRecord; created: boolean } {
    const found = this.#get(link.key);
    if (found) return { entity: found, created: false };
    const entity: EntityRecord = {
      ...link,
      properties,
      createdAt: times.createdAt ?? at,
      updatedAt: times.updatedAt ?? times.createdAt ?? at,
    };
    this.#insertEntity.run(
      entity.key,
      entity.type,
      entity.name,
      JSON.stringify(properties),
      entity.createdAt,
      entity.updatedAt,
    );
    this.#log("entity.added", entity.key, 0, at, { type: entity.type, name: entity.name, properties });
    return { entity, created: true };
  }

  /** Creates or merges one entity. */
  upsertEntity(u: EntityUpsert, at: number): { entity: EntityRecord; changed: boolean } {
    const { entity, created } = this.#ensure(u.entity, at, u, u.properties);
    if (created) return { entity, changed: true };
    const m = merge(JSON.stringify(entity.properties), u.properties);
    if (!m.changed) return { entity, changed: false };
    this.#db
      .prepare("UPDATE entities SET properties = ?, updated_at = ? WHERE key = ?")
      .run(m.json, at, entity.key);
    const next = { ...entity, properties: m.value, updatedAt: at };
    this.#log("entity.updated", next.key, 0, at, { type: next.type, name: next.name, properties: m.value });
    return { entity: next, changed: true };
  }

  /** Creates or merges one edge, creating missing endpoints (returned in `created`). */
  upsertEdge(u: EdgeUpsert, at: number, created: EntityRecord[]): { edge: EdgeRecord; changed: boolean } {
    const source = this.#ensure(u.source, at);
    const target = this.#ensure(u.target, at);
    if (source.created) created.push(source.entity);
    if (target.created) created.push(target.entity);
    const s = source.entity;
    const t = target.entity;
    const id = edgeId(s.key, u.edgeType, t.key);
    const payload = (metadata: Metadata) => edgeChange(s, t, u.edgeType, metadata);
    const row = this.#edge.get(s.key, t.key, u.edgeType) as EdgeRow | undefined;
    if (!row) {
      const edge = newEdgeRecord(s.key, t.key, u, at);
      const json = JSON.stringify(u.metadata);
      this.#insertEdge.run(s.key, t.key, u.edgeType, json, edge.createdAt, edge.updatedAt);
      this.#log("edge.added", id, 0, at, payload(u.metadata));
      return { edge, changed: true };
    }
    const m = merge(row.metadata, u.metadata);
    if (!m.changed) return { edge: toEdge(row), changed: false };
    this.#db
      .prepare(
        "UPDATE edges SET metadata = ?, updated_at = ? WHERE source_key = ? AND target_key = ? AND edge_type = ?",
      )
      .run(m.json, at, s.key, t.key, u.edgeType);
    this.#log("edge.updated", id, 0, at, payload(m.value));
    return { edge: { ...toEdge(row), metadata: m.value, updatedAt: at }, changed: true };
  }

  /** Removes one edge (with `edge.removed`); `null` if it did not exist. */
  removeEdge(sourceKey: string, targetKey: string, edgeType: string, at: number): EdgeRecord | null {
    const row = this.#edge.get(sourceKey, targetKey, edgeType) as EdgeRow | undefined;
    if (!row) return null;
    this.#db
      .prepare("DELETE FROM edges WHERE source_key = ? AND target_key = ? AND edge_type = ?")
      .run(sourceKey, targetKey, edgeType);
    const edge = toEdge(row);
    this.#log(
      "edge.removed",
      edgeId(sourceKey, edgeType, targetKey),
      0,
      at,
      edgeChange(this.#ref(sourceKey), this.#ref(targetKey), edgeType, edge.metadata),
    );
    return edge;
  }

  /** Removes an entity, its edges (each `edge.removed`) and its memory links, then logs `entity.removed`. */
  removeEntity(key: string, at: number): EntityRemoval | null {
    const entity = this.#get(key);
    if (!entity) return null;
    const rows = this.#db
      .prepare("SELECT * FROM edges WHERE source_key = ? UNION SELECT * FROM edges WHERE target_key = ?")
      .all(key, key) as EdgeRow[];
    const edges: EdgeRecord[] = [];
    for (const r of rows) {
      const removed = this.removeEdge(r.source_key, r.target_key, r.edge_type, at);
      if (removed) edges.push(removed);
    }
    const memorySeqs = this.#db
      .prepare("SELECT memory_seq FROM memory_entities WHERE entity_key = ? ORDER BY memory_seq")
      .pluck()
      .all(key) as number[];
    this.#db.prepare("DELETE FROM memory_entities WHERE entity_key = ?").run(key);
    this.#db.prepare("DELETE FROM entities WHERE key = ?").run(key);
    this.#log("entity.removed", key, 0, at, { type: entity.type, name: entity.name });
    return { entity, edges, memorySeqs };
  }

  /** Links a memory to entities, creating missing ones (returned). */
  link(seq: number, links: readonly EntityLink[], at: number): EntityRecord[] {
    const created: EntityRecord[] = [];
    for (const link of links) {
      const e = this.#ensure(link, at);
      if (e.created) created.push(e.entity);
      this.#mayHaveLinks = true;
      this.#link.run(seq, link.key);
    }
    return created;
  }

  /** Removes a memory's links. */
  unlink(seq: number): void {
    this.#db.prepare("DELETE FROM memory_entities WHERE memory_seq = ?").run(seq);
  }

  /** The entity links of memories (stored display names, in key order). */
  linksOf(seqs: readonly number[]): Map<number, EntityLink[]> {
    const out = new Map<number, EntityLink[]>();
    if (!this.#mayHaveLinks) return out;
    for (let i = 0; i < seqs.length; i += 500) {
      const part = seqs.slice(i, i + 500);
      const [stmt, params] = this.#statements.inList(
        part,
        (list) => `SELECT me.memory_seq AS seq, e.key, e.type, e.name FROM memory_entities me
           JOIN entities e ON e.key = me.entity_key
           WHERE me.memory_seq IN (${list}) ORDER BY me.memory_seq, e.key`,
      );
      const rows = stmt.all(...params) as (EntityLink & { seq: number })[];
      for (const { seq, ...link } of rows) {
        const list = out.get(seq) ?? [];
        list.push(link);
        out.set(seq, list);
      }
    }
    return out;
  }

  /** Everything, for loading into memory. */
  load(): GraphData {
    const entities = (this.#db.prepare("SELECT * FROM entities").all() as EntityRow[]).map(toEntity);
    const edges = (this.#db.prepare("SELECT * FROM edges").all() as EdgeRow[]).map(toEdge);
    const links = this.#db.prepare("SELECT memory_seq, entity_key FROM memory_entities").raw().all() as [
      number,
      string,
    ][];
    return { entities, edges, links };
  }
}
