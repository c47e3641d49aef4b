/**
 * Exact vector similarities for ranking, read only where they can change the result.
 *
 * Stored vectors are read from storage (one SQLite row each; a network round trip on shared
 * storage). The namespace's {@link VectorSketch} bounds every similarity first, so a read is skipped
 * when even the best similarity the bound allows cannot lift a memory into the result: the hits are
 * exactly those of reading everything, scores included.
 *
 * @module
 */
import type { SimilarityBounds } from "../index/vector-sketch.js";
import type { NamespaceRuntime } from "./namespace-runtime.js";

/**
 * Exact cosine similarities of memories to a query: read from storage (one query), or on shared
 * storage from the in-memory index where it holds them. Memories without a stored vector are omitted.
 */
export async function exactSimilarities(
  rt: NamespaceRuntime,
  query: Float32Array,
  seqs: Iterable<number>,
): Promise<Map<number, number>> {
  let qn = 0;
  for (let i = 0; i < query.length; i++) qn += query[i]! * query[i]!;
  const qNorm = Math.sqrt(qn) || 1;
  let wanted = [...seqs];
  let out = new Map<number, number>();
  if (wanted.length === 0) return out;
  if (rt.shared && rt.vectors) {
    // Shared storage is a network round trip away: score from the in-memory index (the same vectors,
    // kept exact from the change log) and read only what it lacks.
    out = rt.vectors.similarities(query, wanted);
    wanted = wanted.filter((seq) => !out.has(seq));
    if (wanted.length === 0) return out;
  }
  for (const [seq, v] of await rt.store.getEmbeddings(wanted)) {
    let dot = 0;
    let vn = 0;
    for (let i = 0; i < v.length; i++) {
      dot += v[i]! * query[i]!;
      vn += v[i]! * v[i]!;
    }
    out.set(seq, dot / (qNorm * (Math.sqrt(vn) || 1)));
  }
  return out;
}

/** Similarity bounds of the sketched memories among `seqs`, and the memories without a sketch. */
export function sketchBounds(
  rt: NamespaceRuntime,
  query: Float32Array,
  seqs: Iterable<number>,
): { bounds: Map<number, SimilarityBounds>; unsketched: number[] } {
  const bounds = new Map<number, SimilarityBounds>();
  const unsketched: number[] = [];
  const sketch = rt.sketch;
  if (!sketch || sketch.dimensions !== query.length) return { bounds, unsketched: [...seqs] };
  const q = sketch.query(query);
  for (const seq of seqs) {
    const b = sketch.bounds(q, seq);
    if (b) bounds.set(seq, b);
    else unsketched.push(seq);
  }
  return { bounds, unsketched };
}

/** The `k`-th largest of `values` (−∞ when there are fewer). */
export function kthLargest(values: readonly number[], k: number): number {
  if (k <= 0 || values.length < k) return Number.NEGATIVE_INFINITY;
  // A typed array sorts numerically without a comparator call per step.
  const sorted = Float64Array.from(values).sort();
  return sorted[sorted.length - k]!;
}

/**
 * Exact similarities of `seqs` for at least every memory among the `k` most similar: a memory whose
 * upper bound is below the `k`-th best lower bound is not read (it cannot be among them).
 */
export async function topSimilarities(
  rt: NamespaceRuntime,
  query: Float32Array,
  seqs: Iterable<number>,
  k: number,
): Promise<Map<number, number>> {
  const { bounds, unsketched } = sketchBounds(rt, query, seqs);
  const out = await exactSimilarities(rt, query, unsketched);
  if (bounds.size === 0) return out;
  const lows = [...out.values()];
  for (const b of bounds.values()) lows.push(b.lo);
  const cut = kthLargest(lows, k);
  const wanted: number[] = [];
  for (const [seq, b] of bounds) if (b.hi >= cut) wanted.push(seq);
  for (const [seq, sim] of await exactSimilarities(rt, query, wanted)) out.set(seq, sim);
  return out;
}
