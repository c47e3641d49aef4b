/**
 * The embedder contract: turns texts into vectors.
 *
 * Every implementation lives in its own file beside this one and passes the shared suite in
 * `embedder.case.ts`. The engine records `id` and `dimensions` per namespace at its first write and
 * refuses (with `EMBEDDING_MISMATCH`) to mix vectors of another model into it later.
 *
 * @module
 */

/** Turns texts into fixed-size vectors. */
export interface Embedder {
  /**
   * A stable identifier of the model *and* its output space, e.g. `"use-lite-512@energetic-0.2.0"`.
   * Two embedders with the same id must produce comparable vectors.
   */
  readonly id: string;
  /** Length of every vector this embedder returns. */
  readonly dimensions: number;
  /**
   * Embeds a batch of texts, returning one vector per text in the same order.
   * Must accept any string, including the empty string and very long ones.
   * @throws {EmbedderError} when the provider fails.
   */
  embed(texts: readonly string[], options?: { signal?: AbortSignal }): Promise<Float32Array[]>;
  /** Releases resources (model memory, sockets). Optional. */
  close?(): Promise<void>;
}

/** L2-normalises a vector in place and returns it (a zero vector is left as it is). */
export function normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  if (sum === 0) return vector;
  const inv = 1 / Math.sqrt(sum);
  for (let i = 0; i < vector.length; i++) vector[i] = vector[i]! * inv;
  return vector;
}
