/**
 * How many memories of a namespace pass a search's filters, estimated from a sample, so that a
 * broad filter (most memories pass) goes straight to the filtered ANN walk instead of first testing
 * every memory. The sample is uniform over the live memories (random seqs up to the highest one,
 * misses skipped) and fixed (a seeded generator): the same namespace state and filter always take
 * the same path, so results do not vary between identical searches.
 *
 * @module
 */
import { seededRandom } from "../util/random.js";
import type { DocInfo } from "./doc-table.js";

/** Memories sampled for an estimate. */
export const SAMPLE_SIZE = 256;
const SEED = 0x5eed_f11e;

/**
 * The estimated number of memories passing `matches`, or `null` when too few sampled seqs name a live
 * memory (a sparse seq range, e.g. after heavy eviction), so no estimate is trusted.
 */
export function estimateMatches(
  docs: ReadonlyMap<number, DocInfo>,
  maxSeq: number,
  matches: (doc: DocInfo) => boolean,
): number | null {
  if (docs.size === 0 || maxSeq < 1) return null;
  const random = seededRandom(SEED);
  let sampled = 0;
  let passed = 0;
  for (let tries = 0; tries < SAMPLE_SIZE * 4 && sampled < SAMPLE_SIZE; tries++) {
    const doc = docs.get(1 + Math.floor(random() * maxSeq));
    if (!doc) continue;
    sampled++;
    if (matches(doc)) passed++;
  }
  return sampled < SAMPLE_SIZE / 2 ? null : (passed / sampled) * docs.size;
}
