/**
 * The vector (ANN) index contract. Similarities are cosine similarities in [-1, 1].
 * Implementations: `hnsw.ts` (hnswlib-node).
 *
 * @module
 */

/** A vector hit. */
export interface VectorHit {
  label: number;
  /** Cosine similarity to the query. */
  similarity: number;
}

/** An approximate-nearest-neighbour index over vectors identified by numeric labels. */
export interface VectorIndex {
  readonly dimensions: number;
  /** Number of live (not deleted) vectors. */
  readonly size: number;
  has(label: number): boolean;
  /** Adds a vector or replaces the vector of an existing label. */
  upsert(label: number, vector: Float32Array): void;
  /** Removes a label (no-op if absent). */
  remove(label: number): void;
  /** The approximate `k` nearest live vectors passing `filter`, most similar first. */
  search(query: Float32Array, k: number, filter?: (label: number) => boolean): VectorHit[];
  /** Exact top `k` among an explicit set of labels (brute force; for selective filters). */
  searchAmong(query: Float32Array, k: number, labels: Iterable<number>): VectorHit[];
  /** Exact cosine similarities of the given labels to the query (absent labels omitted). */
  similarities(query: Float32Array, labels: Iterable<number>): Map<number, number>;
  /** Every live label. */
  labels(): IterableIterator<number>;
}
