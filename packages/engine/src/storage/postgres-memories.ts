/**
 * Memory writes of a PostgreSQL namespace (used by {@link PostgresNamespaceStore}), run inside the
 * namespace's write transaction: inserts (with sessions, entity links and eviction), updates and
 * deletes, each appending its change-log entries in the order the SQLite driver does.
 *
 * @module
 */
import type pg from "pg";
import { ConflictError, EmbeddingMismatchError } from "../errors.js";
import {
  type EntityRecord,
  type InsertOptions,
  type InsertResult,
  type MemoryRecord,
  type MemoryRecordPatch,
  type MemoryRemoval,
  type NewMemoryRecord,
  REMOVAL_SQL,
} from "./driver.js";
import type { PostgresGraph } from "./postgres-graph.js";
import {
  escapeText,
  jsonParam,
  MEMORY_COLUMNS,
  type MemoryRow,
  toMemory,
  vectorColumn,
  vectorParam,
} from "./postgres-rows.js";
import { dimensionDdl, type NamespaceTables } from "./postgres-schema.js";
import type { PostgresSentences } from "./postgres-sentences.js";
import { assertWritable, type PostgresSessions } from "./postgres-sessions.js";
import type { WriteTx } from "./postgres-tx.js";
import { memoryRemovedError } from "./removed-ids.js";

/** Runs one read query and gives its rows (through the pool, or a write's own transaction). */
export type ReadRows = <R extends pg.QueryResultRow>(sql: string, params: unknown[]) => Promise<R[]>;

/** The latest removal of each of `ids` in namespace `nsId` (see `NamespaceStore.removals`). */
export async function removalsOf(
  read: ReadRows,
  where: { schema: string; nsId: number },
  ids: readonly string[],
): Promise<Map<string, MemoryRemoval>> {
  const out = new Map<string, MemoryRemoval>();
  if (ids.length === 0) return out;
  // The same type list as the partial index `changes_removals`, so the planner can use it.
  const rows = await read<{ subject_id: string; type: MemoryRemoval["type"]; at: string }>(
    `SELECT subject_id, type, at FROM ${where.schema}.changes
     WHERE ns_id = $1 AND type IN (${REMOVAL_SQL}) AND subject_id = ANY($2::text[]) ORDER BY generation`,
    [where.nsId, [...new Set(ids)]],
  );
  for (const r of rows) out.set(r.subject_id, { type: r.type, at: Number(r.at) });
  return out;
}

/** Code point order (the order of `COLLATE "C"` and of SQLite's BINARY). */
const byKey = (a: { key: string }, b: { key: string }) =>
  Buffer.compare(Buffer.from(a.key), Buffer.from(b.key));

/** Memory operations of one namespace. */
export class PostgresMemories {
  readonly #s: string;
  readonly #t: NamespaceTables;

  constructor(
    readonly name: string,
    schema: string,
    tables: NamespaceTables,
    readonly sessions: PostgresSessions,
    readonly graph: PostgresGraph,
    readonly sentences: PostgresSentences,
  ) {
    this.#s = schema;
    this.#t = tables;
  }

  /** SELECT of memories (`$1` is the namespace id) with their entity links. */
  select(withEmbeddings: boolean, where: string, tail = ""): string {
    return `SELECT ${MEMORY_COLUMNS}${withEmbeddings ? `, ${vectorColumn("m.embedding")} AS embedding` : ""}, ${this.links()}
      FROM ${this.#t.memories} m WHERE ${where} ${tail}`;
  }

  /** The entity links of `m` as a JSON column `entities` (`$1` is the namespace id). */
  links(): string {
    return `(SELECT json_agg(json_build_array(e.key, e.type, e.name) ORDER BY e.key)
      FROM ${this.#s}.memory_entities l JOIN ${this.#s}.entities e ON e.ns_id = l.ns_id AND e.key = l.entity_key
      WHERE l.ns_id = $1 AND l.memory_seq = m.seq) AS entities`;
  }

  /** Deletes memories by id inside a write (unlinking them, keeping counts), logging `type` for each. */
  async remove(
    tx: WriteTx,
    ids: readonly string[],
    type: "memory.deleted" | "memory.expired" | "memory.evicted",
    at: number,
  ) {
    if (ids.length === 0) return [];
    const { rows } = await tx.query<MemoryRow>(
      `DELETE FROM ${this.#t.memories} m WHERE m.id = ANY($2::text[]) RETURNING ${MEMORY_COLUMNS}, ${this.links()}`,
      [tx.nsId, [...new Set(ids)]],
    );
    const byId = new Map(rows.map((r) => [r.id, toMemory(r)]));
    const out: MemoryRecord[] = [];
    const sessions = new Map<string, number>();
    for (const id of ids) {
      const rec = byId.get(id);
      if (!rec) continue;
      byId.delete(id);
      out.push(rec);
      if (rec.sessionId !== null) sessions.set(rec.sessionId, (sessions.get(rec.sessionId) ?? 0) - 1);
      tx.log(type, rec.id, rec.seq, at, { sessionId: rec.sessionId, agentId: rec.agentId });
    }
    tx.state.memory_count -= out.length;
    await this.graph.unlink(
      tx,
      out.map((r) => r.seq),
    );
    await this.sentences.remove(
      tx,
      out.map((r) => r.seq),
    );
    await this.sessions.count(tx, sessions);
    return out;
  }

  /** Fixes the namespace's dimension at its first insert (column type + HNSW index), else checks it. */
  async #dimensions(tx: WriteTx, lengths: number[]): Promise<void> {
    if (lengths.length === 0) return;
    const d = lengths[0]!;
    const current = tx.state.dimensions;
    if (lengths.some((n) => n !== d) || (current !== null && current !== d && tx.state.memory_count > 0)) {
      throw new EmbeddingMismatchError({
        message: `embeddings of namespace "${this.name}" must have ${current ?? d} dimensions`,
        details: { expected: current ?? d, got: lengths.find((n) => n !== (current ?? d)) },
      });
    }
    if (current === d) return;
    if (current !== null) await tx.query(`DROP INDEX IF EXISTS ${this.#s}.${this.#t.hnswIndex}`);
    for (const sql of dimensionDdl(this.#t, d)) await tx.query(sql);
    tx.state.dimensions = d;
  }

  /** Inserts records (see {@link NamespaceStore.insert}) inside a write. */
  async insert(
    tx: WriteTx,
    records: readonly NewMemoryRecord[],
    opts: InsertOptions = {},
  ): Promise<InsertResult> {
    await this.#dimensions(
      tx,
      records.map((r) => r.embedding.length),
    );
    const { rows: taken } = await tx.query<{ id: string }>(
      `SELECT id FROM ${this.#t.memories} WHERE id = ANY($1::text[])`,
      [records.map((r) => r.id)],
    );
    const seen = new Set(taken.map((r) => r.id));
    const clash = records.find((r) => seen.has(r.id));
    if (clash)
      throw new ConflictError({ code: "ALREADY_EXISTS", message: `memory "${clash.id}" already exists` });
    if (opts.refuseRemoved?.length) {
      const read: ReadRows = async <R extends pg.QueryResultRow>(sql: string, params: unknown[]) =>
        (await tx.query<R>(sql, params)).rows;
      const removals = await removalsOf(read, { schema: this.#s, nsId: tx.nsId }, opts.refuseRemoved);
      const refused = memoryRemovedError(this.name, opts.refuseRemoved, removals);
      if (refused) throw refused;
    }
    const states = await this.sessions.lockStates(
      tx,
      records.flatMap((r) => (r.sessionId === null ? [] : [r.sessionId])),
    );
    const known = await this.graph.entities(
      tx.client,
      records.flatMap((r) => (r.entities ?? []).map((e) => e.key)),
    );
    const inserted: MemoryRecord[] = [];
    const createdEntities: EntityRecord[] = [];
    const pairs: [number, string][] = [];
    const sentences: [number, readonly Float32Array[]][] = [];
    const sessions = new Map<string, number>();
    for (const r of records) {
      if (seen.has(r.id))
        throw new ConflictError({ code: "ALREADY_EXISTS", message: `memory "${r.id}" already exists` });
      seen.add(r.id);
      if (r.sessionId !== null) {
        assertWritable(states, r.sessionId);
        sessions.set(r.sessionId, (sessions.get(r.sessionId) ?? 0) + 1);
      }
      const { entities: links = [], sentenceEmbeddings, ...fields } = r;
      const rec: MemoryRecord = { ...fields, seq: tx.nextSeq(), entities: [] };
      if (sentenceEmbeddings?.length) sentences.push([rec.seq, sentenceEmbeddings]);
      tx.log("memory.added", rec.id, rec.seq, r.updatedAt, {
        sessionId: rec.sessionId,
        agentId: rec.agentId,
      });
      const linked = new Map<string, EntityRecord>();
      for (const link of links) {
        let entity = known.get(link.key);
        if (!entity) {
          entity = { ...link, properties: {}, createdAt: r.updatedAt, updatedAt: r.updatedAt };
          known.set(link.key, entity);
          createdEntities.push(entity);
          tx.log("entity.added", link.key, 0, r.updatedAt, {
            type: link.type,
            name: link.name,
            properties: {},
          });
        }
        linked.set(link.key, entity);
      }
      for (const key of linked.keys()) pairs.push([rec.seq, key]);
      rec.entities = [...linked.values()]
        .map((e) => ({ key: e.key, type: e.type, name: e.name }))
        .sort(byKey);
      inserted.push(rec);
    }
    await tx.query(
      `INSERT INTO ${this.#t.memories} (seq, id, content, metadata, session_id, agent_id, importance, created_at,
         updated_at, last_accessed_at, access_count, expires_at, embedding)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::text[],
         $7::float8[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::vector[])`,
      [
        inserted.map((r) => r.seq),
        inserted.map((r) => r.id),
        inserted.map((r) => escapeText(r.content)),
        inserted.map((r) => jsonParam(r.metadata)),
        inserted.map((r) => r.sessionId),
        inserted.map((r) => r.agentId),
        inserted.map((r) => r.importance),
        inserted.map((r) => r.createdAt),
        inserted.map((r) => r.updatedAt),
        inserted.map((r) => r.lastAccessedAt),
        inserted.map((r) => r.accessCount),
        inserted.map((r) => r.expiresAt),
        records.map((r) => vectorParam(r.embedding)),
      ],
    );
    tx.state.memory_count += inserted.length;
    await this.graph.saveEntities(tx, createdEntities);
    await this.graph.link(tx, pairs);
    await this.sentences.put(tx, sentences);
    await this.sessions.count(tx, sessions);
    const evicted = await this.remove(tx, opts.evict ?? [], "memory.evicted", records[0]?.updatedAt ?? 0);
    return { inserted, evicted, createdEntities };
  }

  /** Updates one memory inside a write; `null` when the id does not exist. */
  async update(tx: WriteTx, id: string, patch: MemoryRecordPatch): Promise<MemoryRecord | null> {
    const params: unknown[] = [tx.nsId, id, patch.updatedAt];
    const sets = ["updated_at = $3"];
    const set = (column: string, value: unknown, cast = "") => {
      params.push(value);
      sets.push(`${column} = $${params.length}${cast}`);
    };
    if (patch.content !== undefined) set("content", escapeText(patch.content));
    if (patch.metadata !== undefined) set("metadata", jsonParam(patch.metadata), "::jsonb");
    if (patch.importance !== undefined) set("importance", patch.importance);
    if (patch.expiresAt !== undefined) set("expires_at", patch.expiresAt);
    if (patch.embedding !== undefined) {
      const dims = tx.state.dimensions;
      if (dims !== null && patch.embedding.length !== dims) {
        throw new EmbeddingMismatchError({
          message: `embeddings of namespace "${this.name}" must have ${dims} dimensions`,
          details: { expected: dims, got: patch.embedding.length },
        });
      }
      set("embedding", vectorParam(patch.embedding), "::vector");
    }
    const { rows } = await tx.query<MemoryRow>(
      `UPDATE ${this.#t.memories} m SET ${sets.join(", ")} WHERE m.id = $2
       RETURNING ${MEMORY_COLUMNS}, ${vectorColumn("m.embedding")} AS embedding, ${this.links()}`,
      params,
    );
    if (!rows[0]) return null;
    const rec = toMemory(rows[0]);
    if (patch.sentenceEmbeddings !== undefined)
      await this.sentences.put(tx, [[rec.seq, patch.sentenceEmbeddings]]);
    tx.log("memory.updated", rec.id, rec.seq, patch.updatedAt, {
      sessionId: rec.sessionId,
      agentId: rec.agentId,
    });
    return rec;
  }
}
