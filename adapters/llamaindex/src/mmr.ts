/**
 * Maximal marginal relevance selection (not exported from the package).
 *
 * @module
 */

/** Cosine similarity of two vectors of the same length (0 when either is a zero vector). */
export function cosine(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`embedding length mismatch (${a.length} vs ${b.length})`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/**
 * Picks up to `k` candidates by maximal marginal relevance: first the one most similar to the
 * query, then repeatedly the one maximising `lambda · sim(query, c) − (1 − lambda) · max sim(c, picked)`
 * over everything picked so far. `lambda` 1 ranks by relevance alone, 0 by diversity alone. Ties go to
 * the earlier candidate. Returns candidate indexes in pick order.
 */
export function selectMmr(
  query: readonly number[],
  candidates: readonly (readonly number[])[],
  lambda: number,
  k: number,
): number[] {
  const relevance = candidates.map((c) => cosine(query, c));
  /** For each candidate, its highest similarity to a picked one so far. */
  const redundancy = candidates.map(() => Number.NEGATIVE_INFINITY);
  const picked: number[] = [];
  const left = new Set(candidates.map((_, i) => i));
  while (picked.length < k && left.size > 0) {
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const i of left) {
      const score =
        picked.length === 0 ? relevance[i]! : lambda * relevance[i]! - (1 - lambda) * redundancy[i]!;
      if (score > bestScore) {
        best = i;
        bestScore = score;
      }
    }
    if (best < 0) break; // only NaN scores left
    picked.push(best);
    left.delete(best);
    for (const i of left) redundancy[i] = Math.max(redundancy[i]!, cosine(candidates[i]!, candidates[best]!));
  }
  return picked;
}
