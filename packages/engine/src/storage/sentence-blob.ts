/**
 * The stored form of a memory's sentence vectors, shared by the drivers: the vectors concatenated
 * as float32 little-endian (all of the namespace's dimension), split back by their count.
 *
 * @module
 */

/** Concatenates vectors into one buffer. */
export function sentenceVectorsToBlob(vectors: readonly Float32Array[]): Buffer {
  const dims = vectors[0]?.length ?? 0;
  const out = Buffer.alloc(vectors.length * dims * 4);
  vectors.forEach((v, i) => {
    if (v.length !== dims) throw new Error("sentence vectors must all have the same dimension");
    Buffer.from(v.buffer, v.byteOffset, v.byteLength).copy(out, i * dims * 4);
  });
  return out;
}

/** Splits a buffer of `count` concatenated vectors (copied once, so the views are aligned and owned). */
export function blobToSentenceVectors(blob: Uint8Array, count: number): Float32Array[] {
  if (count <= 0) return [];
  const all = new Float32Array(blob.byteLength / 4);
  new Uint8Array(all.buffer).set(blob);
  const dims = all.length / count;
  return Array.from({ length: count }, (_, i) => all.subarray(i * dims, (i + 1) * dims));
}
