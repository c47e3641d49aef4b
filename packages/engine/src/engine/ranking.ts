/**
 * Ranking inside one namespace: candidate generation (ANN + BM25, plus knowledge-graph neighbours
 * with `graph` unless `graph.expand` is false, all filtered before the top-k cut), fusion into one
 * relevance, retention and recency.
 *
 * Score (every component in [0, 1], see the engine README):
 * ```
 * vector    = max(0, cosine(query, memory))
 *           = max(0, cosine(query, memory), max over its sentences s of cosine(query, s))
 *                                           (namespaces with `sentenceVectors`, see sentence-vectors.ts)
 * keyword   = bm25(memory) / max bm25 over the query's candidates
 * base      = α·vector + (1 − α)·keyword    (hybrid, α = 0.5; vector alone when the query has no index terms)
 *           or, with fusion "rrf": (1/(60 + rank_v) + 1/(60 + rank_k)) / (2/61)   (ranks among the candidates)
 * graph     = max over the memory's linked entities e of 1 / (1 + d(e))   (d = hops from an entity named
 *             in the query, both directions, d ≤ depth; 0 if none is reached)
 * fused     = base                                  (without `graph`: exactly as before)
 *           = (1 − γ)·base + γ·graph                (with `graph`, γ = graph.weight, default 0.5)
 * context   = bm25(memory + its session neighbours within the window, as one passage) / max among candidates
 * relevance = (1 − β)·fused + β·context             (β = neighbors.weight; fused when off, in vector
 *                                                    mode, or when the query has no index terms)
 *           · ((1 − τ) + τ·time)                    (τ = time.weight, only when the query names a time)
 *           · ((1 − λ) + λ·min(1, ln(1 + n) / ln(1 + N)))   (length prior, only with `lengthPrior`: n = the
 *                                                    memory's index terms, λ = weight, N = terms)
 * final     = (1 − w)·relevance·retention + w·recency      (w = recencyWeight)
 * ```
 * The session neighbours of the best `limit` keyword hits join the candidates (see `neighbors.ts`); `time` is
 * {@link timeScore} of the memory's creation time against the query's time expressions.
 * Both sides are scored exactly for every candidate any side found (vector, keyword or graph), so a
 * memory found by only one side still gets its true score from the others; a candidate the vector
 * sketch proves cannot reach the top `limit` is dropped without reading its vector (`vector-scoring.ts`),
 * which changes no hit and no score.
 *
 * @module
 */
import { recency, retention } from "../decay.js";
import type { FilterPredicate } from "../filter/types.js";
import type { ScoreBreakdown, SearchMode } from "../types.js";
import type { DocInfo } from "./doc-table.js";
import { estimateMatches } from "./filter-estimate.js";
import type { NamespaceRuntime } from "./namespace-runtime.js";
import { neighborsOf, passagesOf } from "./neighbors.js";
import { applySentenceSimilarities, sentenceCandidates } from "./sentence-vectors.js";
import { type TimeRange, timeScore } from "./time-expressions.js";
import { exactSimilarities, kthLargest, sketchBounds, topSimilarities } from "./vector-scoring.js";

/** Below this many matching memories a filtered search is exact (brute force over the matches). */
export const EXACT_SEARCH_THRESHOLD = 2_048;
/**
 * A filter a sample says this many memories pass is broad: the search walks the ANN graph and the
 * keyword postings with it directly, without testing every memory first (four times the exact-search
 * threshold, so a filter passed by fewer than the threshold is all but never taken for broad).
 */
export const BROAD_FILTER = 4 * EXACT_SEARCH_THRESHOLD;
/** Default weight α of the vector side in weighted hybrid fusion. */
export const HYBRID_ALPHA = 0.5;
/** At most this many graph-linked memories join the candidates (the best graph scores first). */
export const GRAPH_CANDIDATES = 4_096;

/**
 * The length prior's factor for a memory of `n` index terms: 1 − λ for none, rising with ln(1 + n) to 1
 * at `terms` and beyond (longer turns of a conversation hold the facts more often than "haha ok").
 */
export function lengthFactor(n: number, prior: { weight: number; terms: number }): number {
  return 1 - prior.weight + prior.weight * Math.min(1, Math.log1p(n) / Math.log1p(prior.terms));
}

/** Graph-aware ranking input of one namespace. */
export interface GraphRanking {
  /** γ: the weight of the graph score in relevance. */
  weight: number;
  /** Whether graph-linked memories join the candidates (else the graph only re-ranks them). */
  expand: boolean;
  /** Graph score by memory seq (only memories linked to a reached entity). */
  scores: ReadonlyMap<number, number>;
}

/** Parameters of {@link rankNamespace}. */
export interface RankParams {
  query: string;
  queryVector: Float32Array | null;
  limit: number;
  mode: SearchMode;
  predicate: FilterPredicate | null;
  /** The metadata filter as JSON (its cache key, see filter-cache.ts); `null` without a filter. */
  filterKey: string | null;
  sessionId: string | null;
  recencyWeight: number;
  minScore: number;
  now: number;
  /** Graph-aware search (`null`: off, scores exactly as plain search). */
  graph: GraphRanking | null;
  /** Hybrid fusion: weighted with `alpha`, or reciprocal rank fusion. */
  fusion: "weighted" | "rrf";
  /** Vector weight α of weighted fusion. */
  alpha: number;
  /** Session-neighbour boost (`null`: off). */
  neighbors: { window: number; weight: number } | null;
  /** Time ranges named by the query: a boost of weight τ, or a filter (`null`: none named or off). */
  time: { ranges: readonly TimeRange[]; weight: number; filter: boolean } | null;
  /** The length prior: λ and the length (index terms) from which a memory counts in full. */
  lengthPrior: { weight: number; terms: number } | null;
}

/** The RRF constant. */
export const RRF_K = 60;

/** 1-based ranks of candidates by a score (higher first; zero scores get no rank). */
function ranksBy(scores: ReadonlyMap<number, number>): Map<number, number> {
  const sorted = [...scores].filter(([, s]) => s > 0).sort((a, b) => b[1] - a[1] || b[0] - a[0]);
  return new Map(sorted.map(([seq], i) => [seq, i + 1]));
}

/** A ranked hit (by seq) with its breakdown. */
export interface RankedHit {
  seq: number;
  score: number;
  scores: ScoreBreakdown;
}

function candidateFilter(rt: NamespaceRuntime, p: RankParams) {
  const ranges = p.time?.filter ? p.time.ranges : null;
  // A filter searches repeat has its matches cached (filter-cache.ts): a bit test instead of a call.
  const cached =
    p.predicate !== null && p.filterKey !== null
      ? rt.filters.lookup(p.filterKey, p.predicate, rt.docs)
      : null;
  const matches = (doc: DocInfo | undefined): doc is DocInfo =>
    doc !== undefined &&
    rt.visible(doc, p.now) &&
    (p.sessionId === null || doc.sessionId === p.sessionId) &&
    (cached !== null ? cached.has(doc.seq) : p.predicate === null || p.predicate(doc.metadata)) &&
    (ranges === null || ranges.some((r) => doc.createdAt >= r.start && doc.createdAt < r.end));
  const check = (seq: number) => matches(rt.docs.get(seq));
  if (p.predicate === null && p.sessionId === null && ranges === null) {
    return { among: null, check: rt.expiring > 0 ? check : undefined, matches };
  }
  if (cached !== null && p.sessionId === null && ranges === null) {
    // The metadata filter alone, its matches known: no sampling, no scan.
    if (cached.count > EXACT_SEARCH_THRESHOLD) {
      return { among: null, check: rt.expiring > 0 ? check : (seq: number) => cached.has(seq), matches };
    }
    const set = new Set<number>();
    for (const seq of cached.seqs()) if (matches(rt.docs.get(seq))) set.add(seq);
    return { among: set, check: undefined, matches };
  }
  if (rt.docs.size > BROAD_FILTER) {
    const estimate = estimateMatches(rt.docs, rt.maxSeq, matches);
    if (estimate !== null && estimate >= BROAD_FILTER) return { among: null, check, matches };
  }
  // Selective filters: find every match first, then search exactly among them when few.
  const set = new Set<number>();
  for (const [seq, doc] of rt.docs) if (matches(doc)) set.add(seq);
  if (set.size <= EXACT_SEARCH_THRESHOLD) return { among: set, check: undefined, matches };
  return { among: null, check: (seq: number) => set.has(seq), matches };
}

/** Graph-linked memories passing the same filters as every other candidate, best graph score first. */
function graphCandidates(
  rt: NamespaceRuntime,
  g: GraphRanking,
  matches: (d: DocInfo | undefined) => boolean,
) {
  const entries = [...g.scores];
  if (entries.length > GRAPH_CANDIDATES) entries.sort((a, b) => b[1] - a[1] || b[0] - a[0]);
  const out: number[] = [];
  for (const [seq] of entries) {
    if (out.length === GRAPH_CANDIDATES) break;
    if (matches(rt.docs.get(seq))) out.push(seq);
  }
  return out;
}

/** Extra graph hits a similarity-only search takes beyond `limit` (ties at the cut, see below). */
const TIE_MARGIN = 4;

/** Ranks the memories of one namespace for a query. */
export async function rankNamespace(rt: NamespaceRuntime, p: RankParams): Promise<RankedHit[]> {
  const { among, check, matches } = candidateFilter(rt, p);
  if (among?.size === 0) return [];
  // When the final score is the vector similarity alone (no decay, recency, graph, time, length prior
  // or sentence vectors), the ANN's own top `limit` is the answer; otherwise take more candidates to reorder.
  const similarityOnly =
    p.mode === "vector" &&
    rt.record.config.decayStrategy === "none" &&
    rt.record.config.sentenceVectors !== true &&
    p.recencyWeight === 0 &&
    p.graph === null &&
    p.time === null &&
    p.lengthPrior === null;
  // (A few more than `limit`: memories tied at the cut are then ordered by the tie-break below, newest
  // first, not by which of them the graph walk happened to reach.)
  const k = similarityOnly ? p.limit + TIE_MARGIN : Math.max(p.limit * 4, 40);
  const useVector = p.mode !== "keyword" && p.queryVector !== null && rt.vectors !== null;
  const useKeyword = p.mode !== "vector";

  const candidates = new Set<number>();
  const vec = new Map<number, number>();
  if (useVector && among) {
    // Few matches: exact scores for all of them (stored vectors, one read), keep the best k.
    // (The sketch skips reading the matches that cannot be among the best k.)
    const all = [...(await topSimilarities(rt, p.queryVector!, among, k))].sort(
      (a, b) => b[1] - a[1] || b[0] - a[0],
    );
    for (const [seq, sim] of all.slice(0, k)) {
      candidates.add(seq);
      vec.set(seq, sim);
    }
    for (const [seq, sim] of all.slice(k)) vec.set(seq, sim);
  } else if (useVector) {
    for (const h of rt.vectors!.search(p.queryVector!, k, check)) {
      candidates.add(h.label);
      vec.set(h.label, h.similarity);
    }
  }
  const kw = new Map<number, number>();
  if (useKeyword) {
    const hits = among ? rt.keyword.searchAmong(p.query, k, among) : rt.keyword.search(p.query, k, check);
    for (const h of hits) {
      candidates.add(h.label);
      kw.set(h.label, h.score);
    }
  }
  if (p.graph?.expand) for (const seq of graphCandidates(rt, p.graph, matches)) candidates.add(seq);
  if (candidates.size === 0) return [];
  const keep = (seq: number) => matches(rt.docs.get(seq));
  // Session context needs keyword hits written in a session (else nothing changes: skip the work).
  const useContext =
    p.neighbors !== null &&
    useKeyword &&
    p.neighbors.weight > 0 &&
    [...kw.keys()].some((seq) => rt.docs.get(seq)?.sessionId != null);
  if (useContext) {
    // The neighbours of the best `limit` keyword hits join the candidates (their passages may hold
    // the answer); more cost time and bought nothing on the recall benchmark.
    const best = [...kw].sort((a, b) => b[1] - a[1] || b[0] - a[0]).slice(0, p.limit);
    for (const [seq] of best)
      for (const n of neighborsOf(rt, seq, p.neighbors!.window)) if (keep(n.seq)) candidates.add(n.seq);
  }

  // Exact BM25 for candidates only the vector or graph side found (keyword hits are already scored;
  // a query without index terms scores 0 everywhere, as a missing score counts).
  // Sentence vectors are read for the best keyword-side hits: keep those apart from the scores added next.
  const queryHasTerms = rt.keyword.terms(p.query).length > 0;
  const keywordHits = rt.record.config.sentenceVectors === true ? new Map(kw) : kw;
  const unscored = queryHasTerms ? [...candidates].filter((seq) => !kw.has(seq)) : [];
  if (unscored.length > 0) for (const [seq, score] of rt.keyword.score(p.query, unscored)) kw.set(seq, score);
  let maxKw = 0;
  for (const s of kw.values()) if (s > maxKw) maxKw = s;

  // Session context, only when some candidate has session neighbours (else scores stay plain).
  const passages = useContext && queryHasTerms ? passagesOf(rt, candidates, p.neighbors!.window, keep) : null;
  const ctx =
    passages && [...passages.values()].some((ps) => ps.length > 1)
      ? rt.keyword.scorePassages(p.query, passages, 1 + 2 * p.neighbors!.window)
      : null;
  let maxCtx = 0;
  for (const s of ctx?.values() ?? []) if (s > maxCtx) maxCtx = s;
  const useRrf = p.fusion === "rrf" && p.mode === "hybrid";
  let rrf: { v: Map<number, number>; k: Map<number, number> } | null = null;
  const { decayStrategy, decayHalfLifeHours } = rt.record.config;
  const beta = ctx && p.mode !== "vector" ? p.neighbors!.weight : 0;
  /**
   * Fills `out` with the breakdown of `seq` and returns its final score, with `similarity` in place of
   * its vector score when given (for bounds: those go into one scratch breakdown, unallocated).
   */
  const scoreInto = (seq: number, out: ScoreBreakdown, similarity?: number): number => {
    const vector = Math.max(0, Math.min(1, similarity ?? vec.get(seq) ?? 0));
    const keyword = maxKw > 0 ? (kw.get(seq) ?? 0) / maxKw : 0;
    let fused: number;
    // A query without index terms (only stop words, or empty with a queryEmbedding) is vector-only;
    // otherwise the blend is the same in every namespace, so merged results stay comparable.
    if (p.mode === "vector" || (useVector && !queryHasTerms)) fused = vector;
    else if (p.mode === "keyword" || !useVector) fused = keyword;
    else if (rrf) {
      const rv = rrf.v.get(seq);
      const rk = rrf.k.get(seq);
      fused = ((rv ? 1 / (RRF_K + rv) : 0) + (rk ? 1 / (RRF_K + rk) : 0)) / (2 / (RRF_K + 1));
    } else fused = p.alpha * vector + (1 - p.alpha) * keyword;
    const graph = p.graph?.scores.get(seq) ?? 0;
    if (p.graph) fused = (1 - p.graph.weight) * fused + p.graph.weight * graph;
    const doc = rt.docs.get(seq)!;
    const context = maxCtx > 0 ? (ctx?.get(seq) ?? 0) / maxCtx : 0;
    let relevance = beta > 0 ? (1 - beta) * fused + beta * context : fused;
    const time = p.time ? timeScore(doc.createdAt, p.time.ranges) : 0;
    if (p.time) relevance *= 1 - p.time.weight + p.time.weight * time;
    if (p.lengthPrior) relevance *= lengthFactor(rt.keyword.length(seq) ?? 0, p.lengthPrior);
    const ret = retention({
      strategy: decayStrategy,
      halfLifeHours: decayHalfLifeHours,
      importance: doc.importance,
      reinforcedAt: Math.max(doc.createdAt, doc.updatedAt, doc.lastAccessedAt),
      now: p.now,
    });
    const rec = recency({
      strategy: decayStrategy,
      halfLifeHours: decayHalfLifeHours,
      createdAt: doc.createdAt,
      now: p.now,
    });
    out.vector = vector;
    out.keyword = keyword;
    out.graph = graph;
    out.context = context;
    out.time = time;
    out.relevance = relevance;
    out.recency = rec;
    out.retention = ret;
    return (1 - p.recencyWeight) * relevance * ret + p.recencyWeight * rec;
  };
  const breakdown = (): ScoreBreakdown => ({
    vector: 0,
    keyword: 0,
    graph: 0,
    context: 0,
    time: 0,
    relevance: 0,
    recency: 0,
    retention: 0,
  });
  const scratch = breakdown();
  /** The score `seq` would have with `similarity` as its vector score. */
  const boundScore = (seq: number, similarity: number) => scoreInto(seq, scratch, similarity);
  /** The hit of `seq`, with its breakdown. */
  const evaluate = (seq: number): RankedHit => {
    const scores = breakdown();
    return { seq, score: scoreInto(seq, scores), scores };
  };
  /** Hits already evaluated with their exact scores (by the pruning below). */
  const scored = new Map<number, RankedHit>();
  const missing = useVector ? [...candidates].filter((seq) => !vec.has(seq)) : [];
  if (missing.length > 0) {
    // Exact similarity for candidates only the keyword or graph side found. The final score rises with
    // the vector score, so where ranks do not depend on it (no RRF, no sentence vectors), a sketched
    // candidate whose best possible score is below the `limit`-th guaranteed score is dropped unread.
    const prunable = !useRrf && rt.record.config.sentenceVectors !== true;
    const sketched = prunable ? sketchBounds(rt, p.queryVector!, missing) : null;
    const first = sketched ? sketched.unsketched : missing;
    for (const [seq, sim] of await exactSimilarities(rt, p.queryVector!, first)) vec.set(seq, sim);
    if (sketched && sketched.bounds.size > 0) {
      const lows: number[] = [];
      for (const seq of candidates) {
        const b = sketched.bounds.get(seq);
        if (b) {
          lows.push(boundScore(seq, b.lo));
        } else {
          // Exact already, and nothing below changes its vector score here: evaluated once.
          const hit = evaluate(seq);
          scored.set(seq, hit);
          lows.push(hit.score);
        }
      }
      const cut = Math.max(kthLargest(lows, p.limit), p.minScore);
      const wanted: number[] = [];
      for (const [seq, b] of sketched.bounds) {
        if (boundScore(seq, b.hi) >= cut) wanted.push(seq);
        else candidates.delete(seq);
      }
      for (const [seq, sim] of await exactSimilarities(rt, p.queryVector!, wanted)) vec.set(seq, sim);
    }
  }
  // Sentence vectors: a memory's vector side is its closer of whole text and best sentence.
  if (useVector && rt.record.config.sentenceVectors === true) {
    const seqs = sentenceCandidates(candidates, vec, keywordHits, p.limit, useKeyword);
    await applySentenceSimilarities(rt, p.queryVector!, seqs, vec);
  }
  if (useRrf) rrf = { v: ranksBy(vec), k: ranksBy(kw) };
  const hits: RankedHit[] = [];
  for (const seq of candidates) {
    const hit = scored.get(seq) ?? evaluate(seq);
    if (hit.score >= p.minScore) hits.push(hit);
  }
  // Ties (e.g. vector scores clamped at 0 for memories pointing away from the query) go to the
  // memory closer to the query, then to the newer one.
  const raw = (seq: number) => vec.get(seq) ?? Number.NEGATIVE_INFINITY;
  hits.sort((a, b) => b.score - a.score || raw(b.seq) - raw(a.seq) || b.seq - a.seq);
  return hits.length > p.limit ? hits.slice(0, p.limit) : hits;
}
