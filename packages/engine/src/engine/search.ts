/**
 * `memory.search`: validates the query, embeds it once, ranks every requested namespace
 * ({@link rankNamespace}), merges the hits by score and loads the winning memories.
 *
 * @module
 */
import { EmbeddingMismatchError, ValidationError } from "../errors.js";
import { compileFilter } from "../filter/compile.js";
import type { MemoryRecord } from "../storage/driver.js";
import type { GraphSearchOptions, SearchOptions, SearchResult } from "../types.js";
import {
  assertBoolean,
  assertId,
  assertInteger,
  assertMode,
  assertNamespaceName,
  assertNumberInRange,
  toVector,
} from "../validation.js";
import { toMemory } from "./convert.js";
import type { EngineCore } from "./core.js";
import { GRAPH_LIMITS } from "./graph-model.js";
import { graphScores } from "./graph-query.js";
import type { NamespaceRuntime } from "./namespace-runtime.js";
import { HYBRID_ALPHA, type RankedHit, type RankParams, rankNamespace } from "./ranking.js";
import { lengthPriorOptions, neighborOptions, timeOptions } from "./search-options.js";

function assertFusion(value: unknown): "weighted" | "rrf" {
  if (value !== "weighted" && value !== "rrf") {
    throw new ValidationError({
      message: 'fusion must be "weighted" or "rrf"',
      details: { field: "fusion" },
    });
  }
  return value;
}

const MAX_NAMESPACES = 64;

/** Validates the `graph` option of a search. */
function graphOptions(
  value: GraphSearchOptions | undefined,
): { depth: number; weight: number; expand: boolean } | null {
  if (value === undefined) return null;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ValidationError({
      message: "graph must be an object { depth?, weight?, expand? }",
      details: { field: "graph" },
    });
  }
  return {
    depth:
      value.depth === undefined
        ? 1
        : assertInteger(value.depth, "graph.depth", 0, GRAPH_LIMITS.maxSearchDepth),
    weight: value.weight === undefined ? 0.5 : assertNumberInRange(value.weight, "graph.weight", 0, 1),
    expand: value.expand === undefined ? true : assertBoolean(value.expand, "graph.expand"),
  };
}

function namespacesOf(opts: SearchOptions): string[] {
  if (opts.namespaces !== undefined) {
    if (
      !Array.isArray(opts.namespaces) ||
      opts.namespaces.length === 0 ||
      opts.namespaces.length > MAX_NAMESPACES
    ) {
      throw new ValidationError({
        message: `namespaces must be an array of 1-${MAX_NAMESPACES} namespace names`,
        details: { field: "namespaces" },
      });
    }
  }
  const names = [...(opts.namespace === undefined ? [] : [opts.namespace]), ...(opts.namespaces ?? [])];
  if (names.length === 0) {
    throw new ValidationError({ message: "give namespace or namespaces", details: { field: "namespace" } });
  }
  return [...new Set(names.map((n) => assertNamespaceName(n)))];
}

/** Runs a search over one or several namespaces. */
export async function search(core: EngineCore, opts: SearchOptions): Promise<SearchResult[]> {
  core.assertOpen();
  if (typeof opts !== "object" || opts === null)
    throw new ValidationError({ message: "search options are required" });
  const names = namespacesOf(opts);
  if (typeof opts.query !== "string" || opts.query.length > core.limits.queryChars) {
    throw new ValidationError({
      message: `query must be a string of at most ${core.limits.queryChars} characters`,
      details: { field: "query" },
    });
  }
  if (opts.query.trim() === "" && opts.queryEmbedding === undefined) {
    throw new ValidationError({ message: "query must not be empty", details: { field: "query" } });
  }
  const mode = opts.mode === undefined ? "hybrid" : assertMode(opts.mode);
  const graph = graphOptions(opts.graph);
  const now = core.clock.now();
  const { time, keywordQuery } = timeOptions(opts.time, opts.query, now);
  const params: Omit<RankParams, "queryVector" | "graph"> = {
    query: keywordQuery,
    limit: opts.limit === undefined ? 10 : assertInteger(opts.limit, "limit", 1, core.limits.searchLimit),
    mode,
    predicate:
      opts.metadataFilter === undefined ? null : compileFilter(opts.metadataFilter, core.limits.filter),
    filterKey: opts.metadataFilter === undefined ? null : JSON.stringify(opts.metadataFilter),
    sessionId: opts.sessionId === undefined ? null : assertId(opts.sessionId, "sessionId"),
    recencyWeight:
      opts.recencyWeight === undefined ? 0 : assertNumberInRange(opts.recencyWeight, "recencyWeight", 0, 1),
    minScore: opts.minScore === undefined ? 0 : assertNumberInRange(opts.minScore, "minScore", 0, 1),
    fusion: opts.fusion === undefined ? "weighted" : assertFusion(opts.fusion),
    alpha:
      opts.vectorWeight === undefined
        ? HYBRID_ALPHA
        : assertNumberInRange(opts.vectorWeight, "vectorWeight", 0, 1),
    now,
    neighbors: neighborOptions(opts.neighbors, mode),
    time,
    lengthPrior: lengthPriorOptions(opts.lengthPrior),
  };
  return core.useAll(names, async (runtimes) => {
    let embedded: Promise<Float32Array> | null = null;
    const queryVector = async (rt: NamespaceRuntime): Promise<Float32Array | null> => {
      const recorded = rt.record.config.embedding;
      if (mode === "keyword" || !recorded) return null;
      if (opts.queryEmbedding !== undefined)
        return toVector(opts.queryEmbedding, recorded.dimensions, "queryEmbedding");
      if (recorded.model !== core.embedder.id) {
        throw new EmbeddingMismatchError({
          message: `namespace "${rt.name}" holds embeddings of "${recorded.model}" but this engine embeds with "${core.embedder.id}"; pass queryEmbedding or use mode "keyword"`,
          details: { expected: recorded.model, got: core.embedder.id },
        });
      }
      embedded ??= core.embedder.embed([opts.query]).then((v) => v[0]!);
      return embedded;
    };

    const ranked: { rt: NamespaceRuntime; hit: RankedHit; order: number; rank: number }[] = [];
    for (const [order, rt] of runtimes.entries()) {
      const kg = graph ? await rt.graph() : null;
      const hits = await rankNamespace(rt, {
        ...params,
        queryVector: await queryVector(rt),
        graph:
          kg && graph
            ? { weight: graph.weight, expand: graph.expand, scores: graphScores(kg, opts.query, graph.depth) }
            : null,
      });
      for (const [rank, hit] of hits.entries()) ranked.push({ rt, hit, order, rank });
    }
    // Equal scores: namespaces in the order asked, then each namespace's own order (see rankNamespace).
    ranked.sort((a, b) => b.hit.score - a.hit.score || a.order - b.order || a.rank - b.rank);
    const top = ranked.slice(0, params.limit);

    const loaded = new Map<NamespaceRuntime, Map<number, MemoryRecord>>();
    for (const rt of runtimes) {
      const seqs = top.filter((t) => t.rt === rt).map((t) => t.hit.seq);
      if (seqs.length === 0) continue;
      const records = await rt.store.getBySeq(seqs);
      loaded.set(rt, new Map(records.map((r) => [r.seq, r])));
      if (rt.record.config.reinforceOnAccess) rt.recordAccess(seqs, params.now);
    }
    const results: SearchResult[] = [];
    for (const { rt, hit } of top) {
      const rec = loaded.get(rt)?.get(hit.seq);
      if (rec)
        results.push({
          memory: toMemory(rt.name, rec),
          namespace: rt.name,
          score: hit.score,
          scores: hit.scores,
        });
    }
    return results;
  });
}
