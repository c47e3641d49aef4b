/**
 * The PostgreSQL storage of one namespace: its memories table plus its rows in the shared sessions,
 * change-log and graph tables. Writes run in {@link writeTransaction} (namespace row lock, counters,
 * change log, `pg_notify`); a write's promise resolves after COMMIT, which Postgres acknowledges once
 * the WAL is flushed (keep `synchronous_commit` on). Reads are single statements (one snapshot each).
 *
 * @module
 */
import type pg from "pg";
import { NotFoundError } from "../errors.js";
import type { Metadata } from "../types.js";
import { canonicalBackfill } from "./backfill-state.js";
import type {
  ChangeRecord,
  EdgeRecord,
  EdgeUpsert,
  EntityRemoval,
  EntityUpsert,
  GraphData,
  GraphUpsertResult,
  InsertOptions,
  InsertResult,
  MemoryRecord,
  MemoryRecordPatch,
  MemoryRemoval,
  NamespaceStore,
  NewMemoryRecord,
  ScanOptions,
  SentenceBackfillState,
  SentenceFill,
  SessionRecord,
} from "./driver.js";
import { PostgresGraph } from "./postgres-graph.js";
import { upsertGraph } from "./postgres-graph-upsert.js";
import { PostgresMemories, removalsOf } from "./postgres-memories.js";
import {
  type ChangeRow,
  type MemoryRow,
  parseVector,
  run,
  toChange,
  toMemory,
  vectorColumn,
} from "./postgres-rows.js";
import type { NamespaceTables } from "./postgres-schema.js";
import {
  type KeywordSearchOptions,
  keywordSearch,
  type SearchContext,
  type SearchStats,
  type VectorSearchOptions,
  vectorSearch,
} from "./postgres-search.js";
import { PostgresSentences } from "./postgres-sentences.js";
import { PostgresSessions } from "./postgres-sessions.js";
import { toStorageError, transaction, type WriteTx, writeTransaction } from "./postgres-tx.js";

/** {@link NamespaceStore} on PostgreSQL, plus search pushdown. */
export class PostgresNamespaceStore implements NamespaceStore {
  /** Where this process keeps the namespace's index snapshots (`PostgresDriverOptions.snapshotDir`). */
  readonly snapshotDir: string | null;
  readonly snapshotKey = null;
  readonly #ctx: SearchContext;
  readonly #pool: pg.Pool;
  readonly #s: string;
  readonly #t: NamespaceTables;
  readonly #sessions: PostgresSessions;
  readonly #graph: PostgresGraph;
  readonly #sentences: PostgresSentences;
  readonly #memories: PostgresMemories;

  constructor(
    readonly name: string,
    ctx: SearchContext & { schemaName: string; snapshotDir: string | null },
  ) {
    this.snapshotDir = ctx.snapshotDir;
    this.#ctx = ctx;
    this.#pool = ctx.pool;
    this.#s = ctx.schema;
    this.#t = ctx.tables;
    this.#sessions = new PostgresSessions(ctx.schema, ctx.nsId);
    this.#graph = new PostgresGraph(ctx.schema, ctx.nsId);
    this.#sentences = new PostgresSentences(ctx.schema, ctx.nsId);
    this.#memories = new PostgresMemories(
      name,
      ctx.schema,
      ctx.tables,
      this.#sessions,
      this.#graph,
      this.#sentences,
    );
    this.#write = (fn) =>
      writeTransaction(
        this.#pool,
        { schema: ctx.schema, schemaName: ctx.schemaName, namespace: name, nsId: ctx.nsId },
        fn,
      );
  }

  readonly #write: <T>(fn: (tx: WriteTx) => Promise<T>) => Promise<T>;

  /** How many searches of this store took each path. */
  get searchStats(): Readonly<SearchStats> {
    return this.#ctx.stats;
  }

  /** The namespace's catalog id (changes when a namespace is deleted and re-created). */
  get id(): number {
    return this.#ctx.nsId;
  }

  async #read<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
    try {
      return (await run<R>(this.#pool, sql, params)).rows;
    } catch (err) {
      throw toStorageError(err, this.name);
    }
  }

  #gone(): NotFoundError {
    return new NotFoundError({ code: "NAMESPACE_NOT_FOUND", message: `namespace "${this.name}" not found` });
  }

  async generation(): Promise<number> {
    const rows = await this.#read<{ generation: number }>(
      `SELECT generation FROM ${this.#s}.namespaces WHERE id = $1`,
      [this.#ctx.nsId],
    );
    if (!rows[0]) throw this.#gone();
    return rows[0].generation;
  }

  async count(): Promise<number> {
    const rows = await this.#read<{ n: number }>(
      `SELECT memory_count AS n FROM ${this.#s}.namespaces WHERE id = $1`,
      [this.#ctx.nsId],
    );
    if (!rows[0]) throw this.#gone();
    return rows[0].n;
  }

  async insert(records: readonly NewMemoryRecord[], opts: InsertOptions = {}): Promise<InsertResult> {
    return this.#write((tx) => this.#memories.insert(tx, records, opts));
  }

  async update(id: string, patch: MemoryRecordPatch): Promise<MemoryRecord | null> {
    return this.#write((tx) => this.#memories.update(tx, id, patch));
  }

  async delete(
    ids: readonly string[],
    at: number,
    reason: "memory.deleted" | "memory.expired" = "memory.deleted",
  ): Promise<MemoryRecord[]> {
    return this.#write((tx) => this.#memories.remove(tx, ids, reason, at));
  }

  async get(ids: readonly string[], opts?: { withEmbeddings?: boolean }): Promise<MemoryRecord[]> {
    return this.#fetch("id", ids, opts?.withEmbeddings ?? false);
  }

  async getBySeq(seqs: readonly number[], opts?: { withEmbeddings?: boolean }): Promise<MemoryRecord[]> {
    return this.#fetch("seq", seqs, opts?.withEmbeddings ?? false);
  }

  async #fetch<K extends string | number>(column: "id" | "seq", keys: readonly K[], withEmbeddings: boolean) {
    if (keys.length === 0) return [];
    const cast = column === "id" ? "text[]" : "bigint[]";
    const rows = await this.#read<MemoryRow>(
      this.#memories.select(withEmbeddings, `m.${column} = ANY($2::${cast})`),
      [this.#ctx.nsId, [...new Set(keys)]],
    );
    const byKey = new Map(rows.map((r) => [(column === "id" ? r.id : r.seq) as K, r]));
    return keys.flatMap((k) => {
      const row = byKey.get(k);
      return row ? [toMemory(row)] : [];
    });
  }

  async getEmbeddings(seqs: readonly number[]): Promise<Map<number, Float32Array>> {
    if (seqs.length === 0) return new Map();
    const rows = await this.#read<{ seq: number; embedding: Buffer }>(
      `SELECT seq, ${vectorColumn("embedding")} AS embedding FROM ${this.#t.memories} WHERE seq = ANY($1::bigint[])`,
      [[...new Set(seqs)]],
    );
    return new Map(rows.map((r) => [r.seq, parseVector(r.embedding)]));
  }

  async getSentenceEmbeddings(seqs: readonly number[]): Promise<Map<number, Float32Array[]>> {
    if (seqs.length === 0) return new Map();
    const rows = await this.#read<{ seq: number; count: number; vectors: Buffer }>(
      this.#sentences.selectSql(),
      [this.#ctx.nsId, [...new Set(seqs)]],
    );
    return PostgresSentences.rows(rows);
  }

  async fillSentenceEmbeddings(entries: readonly SentenceFill[]): Promise<number[]> {
    try {
      return await transaction(this.#pool, (client) =>
        this.#sentences.fill(client, this.#t.memories, entries),
      );
    } catch (err) {
      throw toStorageError(err, this.name);
    }
  }

  async sentenceBackfill(): Promise<SentenceBackfillState | null> {
    const rows = await this.#read<{ state: SentenceBackfillState | null }>(
      `SELECT sentence_backfill AS state FROM ${this.#s}.namespaces WHERE id = $1`,
      [this.#ctx.nsId],
    );
    if (!rows[0]) throw this.#gone();
    return canonicalBackfill(rows[0].state);
  }

  async setSentenceBackfill(
    state: SentenceBackfillState | null,
    opts?: { expected: SentenceBackfillState | null },
  ): Promise<boolean> {
    const json = (s: SentenceBackfillState | null) =>
      s === null ? null : JSON.stringify(canonicalBackfill(s));
    // jsonb equality ignores key order; IS NOT DISTINCT FROM also matches an expected null.
    const rows = await this.#read<{ id: number }>(
      `UPDATE ${this.#s}.namespaces SET sentence_backfill = $2::jsonb
       WHERE id = $1 AND (NOT $3 OR sentence_backfill IS NOT DISTINCT FROM $4::jsonb) RETURNING id`,
      [this.#ctx.nsId, json(state), opts !== undefined, json(opts?.expected ?? null)],
    );
    if (rows[0]) return true;
    await this.generation(); // throws NAMESPACE_NOT_FOUND when the namespace is gone
    return false;
  }

  async scan(opts: ScanOptions): Promise<MemoryRecord[]> {
    const rows = await this.#read<MemoryRow>(
      this.#memories.select(opts.withEmbeddings ?? false, "m.seq > $2", "ORDER BY m.seq LIMIT $3"),
      [this.#ctx.nsId, opts.afterSeq ?? 0, opts.limit],
    );
    return rows.map(toMemory);
  }

  async removals(ids: readonly string[]): Promise<Map<string, MemoryRemoval>> {
    return removalsOf(
      (sql, params) => this.#read(sql, params),
      { schema: this.#s, nsId: this.#ctx.nsId },
      ids,
    );
  }

  async changesSince(generation: number, limit = 10_000): Promise<ChangeRecord[]> {
    const rows = await this.#read<ChangeRow>(
      `SELECT generation, type, subject_id, subject_seq, at, payload FROM ${this.#s}.changes
       WHERE ns_id = $1 AND generation > $2 ORDER BY generation LIMIT $3`,
      [this.#ctx.nsId, generation, limit],
    );
    return rows.map(toChange);
  }

  async touch(seqs: readonly number[], at: number): Promise<void> {
    if (seqs.length === 0) return;
    try {
      await transaction(this.#pool, async (client) => {
        // Row locks in seq order, so concurrent touches of overlapping sets cannot deadlock.
        await run(
          client,
          `SELECT 1 FROM ${this.#t.memories} WHERE seq = ANY($1::bigint[]) ORDER BY seq FOR UPDATE`,
          [seqs],
        );
        await run(
          client,
          `UPDATE ${this.#t.memories} m SET last_accessed_at = GREATEST(m.last_accessed_at, $2),
             access_count = m.access_count + c.n
           FROM (SELECT s AS seq, count(*) AS n FROM unnest($1::bigint[]) AS s GROUP BY s) AS c WHERE m.seq = c.seq`,
          [seqs, at],
        );
      });
    } catch (err) {
      throw toStorageError(err, this.name);
    }
  }

  async createSession(session: {
    id: string;
    metadata: Metadata;
    createdAt: number;
  }): Promise<SessionRecord> {
    return this.#write((tx) => this.#sessions.create(tx, session));
  }

  async getSession(id: string): Promise<SessionRecord | null> {
    return this.#sessions.get(this.#pool, id).catch((err: unknown) => {
      throw toStorageError(err, this.name);
    });
  }

  async listSessions(opts: { afterSeq?: number; limit: number }): Promise<SessionRecord[]> {
    return this.#sessions.list(this.#pool, opts.afterSeq ?? 0, opts.limit).catch((err: unknown) => {
      throw toStorageError(err, this.name);
    });
  }

  async endSession(id: string, at: number): Promise<SessionRecord | null> {
    return this.#write((tx) => this.#sessions.end(tx, id, at));
  }

  async upsertGraph(
    input: { entities?: readonly EntityUpsert[]; edges?: readonly EdgeUpsert[] },
    at: number,
  ): Promise<GraphUpsertResult> {
    return this.#write((tx) => upsertGraph(this.#graph, tx, input, at));
  }

  async removeEdges(
    edges: readonly { sourceKey: string; targetKey: string; edgeType: string }[],
    at: number,
  ): Promise<EdgeRecord[]> {
    return this.#write((tx) => this.#graph.removeEdges(tx, edges, at));
  }

  async removeEntity(key: string, at: number): Promise<EntityRemoval | null> {
    return this.#write((tx) => this.#graph.removeEntity(tx, key, at));
  }

  async loadGraph(): Promise<GraphData> {
    try {
      const client = await this.#pool.connect();
      try {
        await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        const graph = await this.#graph.load(client);
        await client.query("COMMIT");
        return graph;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    } catch (err) {
      throw toStorageError(err, this.name);
    }
  }

  /**
   * The top-k memories by cosine similarity to `vector` among live memories matching `filter` and
   * `sessionId` (exact below `exactSearchThreshold` memories or for selective filters, HNSW otherwise).
   */
  vectorSearch(opts: VectorSearchOptions): Promise<{ seq: number; similarity: number }[]> {
    return vectorSearch(this.#ctx, opts);
  }

  /** The top-k memories by keyword score (BM25 or `ts_rank_cd`, see `keyword`), best first. */
  keywordSearch(opts: KeywordSearchOptions): Promise<{ seq: number; score: number }[]> {
    return keywordSearch(this.#ctx, opts);
  }
}
