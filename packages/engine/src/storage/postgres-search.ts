/**
 * Search pushdown of the PostgreSQL driver: top-k vector and keyword candidates computed in the
 * database, with the metadata filter, the session and the expiry applied before the top-k cut.
 *
 * Vector search is exact (a sequential scan ordered by cosine distance) when the namespace is small
 * (≤ `exactSearchThreshold` memories), has no HNSW index, or when the filter / session is selective
 * (at most `exactSearchThreshold` rows match: counted with a LIMIT, so a broad filter costs little).
 * Otherwise it walks the namespace's HNSW index with `hnsw.iterative_scan = strict_order` (so
 * filtered-out rows do not starve the result) and `hnsw.ef_search = max(efSearch, 2k)`, and falls back
 * to the exact scan should the index still yield fewer than k rows. Only that last path is approximate
 * (ANN recall). Keyword search scores with BM25 (pg_textsearch `<@>`) when the namespace has a bm25
 * index, or with `ts_rank_cd` over an OR of the query's lexemes; both return every matching row's
 * score, so filters never shrink the result below k when k rows match.
 *
 * @module
 */
import type pg from "pg";
import { EmbeddingMismatchError, NotFoundError, StorageError, ValidationError } from "../errors.js";
import { compileFilterSql } from "../filter/sql.js";
import type { Filter } from "../filter/types.js";
import { escapeText, run, vectorParam } from "./postgres-rows.js";
import { HNSW_MAX_DIMENSIONS, type NamespaceTables, TEXT_CONFIG } from "./postgres-schema.js";
import { toStorageError, transaction } from "./postgres-tx.js";

/** Options of {@link PostgresNamespaceStore.vectorSearch}. */
export interface VectorSearchOptions {
  vector: Float32Array | readonly number[];
  k: number;
  filter?: Filter;
  /** Only memories of this session. */
  sessionId?: string | null;
  /** Epoch ms: memories with `expiresAt <= now` are skipped. */
  now: number;
}

/** Options of {@link PostgresNamespaceStore.keywordSearch}. */
export interface KeywordSearchOptions {
  query: string;
  k: number;
  filter?: Filter;
  sessionId?: string | null;
  /** Epoch ms: memories with `expiresAt <= now` are skipped. @default no expiry check */
  now?: number;
}

/** How keyword search scores: BM25 via pg_textsearch, Postgres full text, or BM25 when available. */
export type KeywordScoring = "auto" | "bm25" | "fulltext";

/** How many searches took each path (for tests, benchmarks and metrics). */
export interface SearchStats {
  /** Vector searches answered by an exact scan (small namespace, or no HNSW index). */
  vectorExact: number;
  /** Vector searches whose filter matched at most `exactSearchThreshold` rows: answered by an exact scan. */
  vectorSelective: number;
  /** Vector searches answered by the HNSW index. */
  vectorIndex: number;
  /** Vector searches where the index gave fewer than k rows and the exact scan ran. */
  vectorFallback: number;
  /** BM25 searches answered by the bm25 index scan. */
  keywordIndex: number;
  /** BM25 searches where the index scan gave fewer than k rows and every match was scored. */
  keywordFallback: number;
  /** Full-text (`ts_rank_cd`) searches. */
  keywordFulltext: number;
}

/** What the search functions need from the store. */
export interface SearchContext {
  pool: pg.Pool;
  schema: string;
  namespace: string;
  nsId: number;
  tables: NamespaceTables;
  /** Whether the namespace's table has a bm25 index. */
  bm25: boolean;
  keyword: KeywordScoring;
  exactSearchThreshold: number;
  /** `hnsw.ef_search` (raised to 2·k when larger). */
  efSearch: number;
  /** Disable sequential scans in the index steps (benchmarks and tests on small data). */
  forceIndexScans: boolean;
  stats: SearchStats;
}

/** Runs `fn` in a transaction with the index-step settings. */
async function indexStep<T>(
  ctx: SearchContext,
  settings: [string, string][],
  fn: (c: pg.PoolClient) => Promise<T>,
) {
  return transaction(ctx.pool, async (client) => {
    const all = ctx.forceIndexScans ? [...settings, ["enable_seqscan", "off"] as [string, string]] : settings;
    if (all.length > 0) {
      const calls = all.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(", ");
      await client.query(`SELECT ${calls}`, all.flat());
    }
    return fn(client);
  });
}

function checkK(k: number): void {
  if (!Number.isSafeInteger(k) || k < 0) {
    throw new ValidationError({
      message: `k must be a non-negative integer, got ${k}`,
      details: { field: "k" },
    });
  }
}

/** WHERE conditions shared by both searches (parameters appended to `params`). */
function conditions(
  params: unknown[],
  o: { filter?: Filter; sessionId?: string | null; now?: number },
): string[] {
  const out: string[] = [];
  if (o.now !== undefined) {
    params.push(o.now);
    out.push(`(m.expires_at IS NULL OR m.expires_at > $${params.length})`);
  }
  if (o.sessionId !== undefined && o.sessionId !== null) {
    params.push(o.sessionId);
    out.push(`m.session_id = $${params.length}`);
  }
  if (o.filter !== undefined && Object.keys(o.filter).length > 0) {
    out.push(compileFilterSql(o.filter, { column: "m.metadata", params, mapString: escapeText }));
  }
  return out;
}

const and = (conds: string[]) => (conds.length ? conds.join(" AND ") : "TRUE");

/** The true top-k (by cosine similarity) among matching, live memories. */
export async function vectorSearch(
  ctx: SearchContext,
  o: VectorSearchOptions,
): Promise<{ seq: number; similarity: number }[]> {
  checkK(o.k);
  try {
    const { rows: ns } = await run<{ dimensions: number | null; memory_count: number }>(
      ctx.pool,
      `SELECT dimensions, memory_count FROM ${ctx.schema}.namespaces WHERE id = $1`,
      [ctx.nsId],
    );
    if (!ns[0]) {
      throw new NotFoundError({
        code: "NAMESPACE_NOT_FOUND",
        message: `namespace "${ctx.namespace}" not found`,
      });
    }
    const dims = ns[0].dimensions;
    if (o.k === 0 || dims === null || ns[0].memory_count === 0) return [];
    if (o.vector.length !== dims) {
      throw new EmbeddingMismatchError({
        message: `the query vector has ${o.vector.length} dimensions, namespace "${ctx.namespace}" holds ${dims}`,
        details: { expected: dims, got: o.vector.length },
      });
    }
    const params: unknown[] = [vectorParam(Float32Array.from(o.vector)), o.k];
    const where = and(conditions(params, o));
    const selective =
      (o.sessionId ?? null) !== null || (o.filter !== undefined && Object.keys(o.filter).length > 0);
    const select = `SELECT m.seq, 1 - (m.embedding <=> $1::vector) AS similarity FROM ${ctx.tables.memories} m WHERE ${where}`;
    const exact = async () =>
      (await run(ctx.pool, `${select} ORDER BY (m.embedding <=> $1::vector) + 0, m.seq LIMIT $2`, params))
        .rows;
    if (ns[0].memory_count <= ctx.exactSearchThreshold || dims > HNSW_MAX_DIMENSIONS) {
      ctx.stats.vectorExact++;
      return (await exact()) as { seq: number; similarity: number }[];
    }
    if (selective) {
      // At most exactSearchThreshold rows match: the exact scan is cheap and exact. Counting stops early
      // (LIMIT) when the filter is broad, which then goes to the index.
      const { rows } = await run<{ n: number }>(
        ctx.pool,
        // ($1, the query vector, is only referenced to keep the parameter list of the search.)
        `SELECT count(*)::int AS n FROM (
           SELECT 1 FROM ${ctx.tables.memories} m WHERE ${where} AND $1::vector IS NOT NULL LIMIT $2) AS x`,
        [params[0], ctx.exactSearchThreshold + 1, ...params.slice(2)],
      );
      if (rows[0]!.n <= ctx.exactSearchThreshold) {
        ctx.stats.vectorSelective++;
        return (await exact()) as { seq: number; similarity: number }[];
      }
    }
    const settings: [string, string][] = [
      ["hnsw.iterative_scan", "strict_order"],
      ["hnsw.ef_search", String(Math.min(1000, Math.max(ctx.efSearch, 2 * o.k)))],
    ];
    const ann = await indexStep(
      ctx,
      settings,
      async (client) =>
        (await run(client, `${select} ORDER BY m.embedding <=> $1::vector LIMIT $2`, params)).rows,
    );
    ctx.stats.vectorIndex++;
    if (ann.length < o.k) ctx.stats.vectorFallback++;
    const rows = ann.length < o.k ? await exact() : ann;
    return rows as { seq: number; similarity: number }[];
  } catch (err) {
    throw toStorageError(err, ctx.namespace);
  }
}

/** OR of the query's lexemes as a tsquery (`NULL` when the query has none); `$1` is the query text. */
const OR_QUERY = String.raw`(SELECT string_agg('''' || replace(replace(w, '\', '\\'), '''', '\''') || '''', ' | ')::tsquery
  FROM unnest(tsvector_to_array(to_tsvector('${TEXT_CONFIG}'::regconfig, $1::text))) AS w)`;

/** The true top-k keyword matches among matching, live memories (score > 0, best first). */
export async function keywordSearch(
  ctx: SearchContext,
  o: KeywordSearchOptions,
): Promise<{ seq: number; score: number }[]> {
  checkK(o.k);
  if (o.k === 0 || o.query.trim() === "") return [];
  const mode = ctx.keyword === "auto" ? (ctx.bm25 ? "bm25" : "fulltext") : ctx.keyword;
  if (mode === "bm25" && !ctx.bm25) {
    throw new StorageError({
      message: `namespace "${ctx.namespace}" has no bm25 index (pg_textsearch was not installed when it was created)`,
    });
  }
  try {
    if (mode === "fulltext") {
      ctx.stats.keywordFulltext++;
      const params: unknown[] = [o.query, o.k];
      const where = and(conditions(params, o));
      const { rows } = await run<{ seq: number; score: number }>(
        ctx.pool,
        `SELECT m.seq, ts_rank_cd(m.tsv, q.q) AS score FROM ${ctx.tables.memories} m, ${OR_QUERY} AS q(q)
         WHERE m.tsv @@ q.q AND ${where} ORDER BY score DESC, m.seq LIMIT $2`,
        params,
      );
      return rows;
    }
    const params: unknown[] = [o.query, o.k, ctx.tables.bm25Index];
    const conds = conditions(params, o);
    const q = "to_bm25query($1::text, $3::text)";
    const top = await indexStep(ctx, [], async (client) => {
      const sql = `SELECT m.seq, -(m.content <@> ${q}) AS score FROM ${ctx.tables.memories} m
        WHERE ${and(conds)} ORDER BY m.content <@> ${q} LIMIT $2`;
      return (await run<{ seq: number; score: number }>(client, sql, params)).rows;
    });
    ctx.stats.keywordIndex++;
    const hits = top.filter((r) => r.score > 0).sort((a, b) => b.score - a.score || a.seq - b.seq);
    if (hits.length === o.k || conds.length === 0) return hits;
    ctx.stats.keywordFallback++;
    // The index scan may stop before k rows pass the conditions: score every matching row instead.
    const { rows } = await run<{ seq: number; score: number }>(
      ctx.pool,
      `SELECT seq, score FROM (
         SELECT m.seq, -(m.content <@> ${q}) AS score FROM ${ctx.tables.memories} m
         WHERE m.tsv @@ ${OR_QUERY} AND ${and(conds)}) AS s
       WHERE score > 0 ORDER BY score DESC, seq LIMIT $2`,
      params,
    );
    return rows;
  } catch (err) {
    throw toStorageError(err, ctx.namespace);
  }
}
