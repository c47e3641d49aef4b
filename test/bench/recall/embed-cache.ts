/**
 * An on-disk embedding cache for benchmarks: wraps an {@link Embedder} and keeps every vector it
 * computed in one append-only file per model under `test/bench/.cache/embeddings/` (gitignored),
 * keyed by the SHA-256 of the text. The wrapper keeps the model's `id`, so namespaces record the
 * real model and vectors stay comparable.
 *
 * File format: records of `[32-byte SHA-256 of the text][dimensions × float32 LE]`.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Embedder } from "@loci/engine";

/** Embedder with a persistent per-model vector cache (the engine's `CachedEmbedder` keeps recent vectors in memory only). */
export class DiskCachedEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  readonly #inner: Embedder;
  readonly #file: string;
  readonly #vectors = new Map<string, Float32Array>();
  /** Texts embedded by the model (cache misses) since construction. */
  misses = 0;

  constructor(opts: { inner: Embedder; dir: string }) {
    this.#inner = opts.inner;
    this.id = opts.inner.id;
    this.dimensions = opts.inner.dimensions;
    this.#file = join(opts.dir, `${this.id.replace(/[^A-Za-z0-9._-]+/g, "_")}-${this.dimensions}.bin`);
    if (existsSync(this.#file)) {
      const buf = readFileSync(this.#file);
      const size = 32 + this.dimensions * 4;
      for (let off = 0; off + size <= buf.length; off += size) {
        const key = buf.subarray(off, off + 32).toString("hex");
        const vec = new Float32Array(this.dimensions);
        for (let i = 0; i < this.dimensions; i++) vec[i] = buf.readFloatLE(off + 32 + i * 4);
        this.#vectors.set(key, vec);
      }
    }
  }

  /** Number of cached vectors. */
  get size(): number {
    return this.#vectors.size;
  }

  async embed(texts: readonly string[], options?: { signal?: AbortSignal }): Promise<Float32Array[]> {
    const keys = texts.map((t) => createHash("sha256").update(t).digest("hex"));
    const missing = new Map<string, string>();
    keys.forEach((k, i) => {
      if (!this.#vectors.has(k) && !missing.has(k)) missing.set(k, texts[i]!);
    });
    if (missing.size > 0) {
      const vecs = await this.#inner.embed([...missing.values()], options);
      const record = Buffer.alloc((32 + this.dimensions * 4) * missing.size);
      [...missing.keys()].forEach((k, j) => {
        const vec = Float32Array.from(vecs[j]!);
        this.#vectors.set(k, vec);
        const off = j * (32 + this.dimensions * 4);
        Buffer.from(k, "hex").copy(record, off);
        for (let d = 0; d < this.dimensions; d++) record.writeFloatLE(vec[d]!, off + 32 + d * 4);
      });
      mkdirSync(dirname(this.#file), { recursive: true });
      appendFileSync(this.#file, record);
      this.misses += missing.size;
    }
    return keys.map((k) => Float32Array.from(this.#vectors.get(k)!));
  }

  async close(): Promise<void> {
    await this.#inner.close?.();
  }
}
