/**
 * {@link LociEmbedding}: a LlamaIndex embedding model backed by a Loci {@link Embedder}.
 *
 * @module
 */
import { BaseEmbedding } from "@llamaindex/core/embeddings";
import type { Embedder } from "@loci/engine";

/** Options of {@link LociEmbedding}. */
export interface LociEmbeddingOptions {
  /** Any Loci embedder, e.g. `new UseLiteEmbedder()` (offline, 512-d) or `new HashEmbedder({ dimensions: 256 })`. */
  embedder: Embedder;
  /** Texts per `embed` call when LlamaIndex embeds nodes in bulk. @default 64 */
  embedBatchSize?: number;
}

/**
 * A LlamaIndex `BaseEmbedding` that embeds with a Loci `Embedder`, so indexes and vector stores
 * need no API key and no global `Settings.embedModel`.
 *
 * Use the same embedder model (and dimension) the Loci namespace records, or any embedder whose
 * dimension matches the namespace's: the vectors are handed to Loci precomputed.
 *
 * @example
 * ```ts
 * const embedModel = new LociEmbedding({ embedder: new UseLiteEmbedder() });
 * const index = await VectorStoreIndex.fromDocuments(docs, { storageContext, embedModel });
 * ```
 */
export class LociEmbedding extends BaseEmbedding {
  /** The wrapped Loci embedder. */
  readonly embedder: Embedder;

  constructor(options: LociEmbeddingOptions) {
    super();
    this.embedder = options.embedder;
    this.embedBatchSize = options.embedBatchSize ?? 64;
    this.embedInfo = { dimensions: options.embedder.dimensions };
  }

  /** Embeds one text. */
  async getTextEmbedding(text: string): Promise<number[]> {
    const [vector] = await this.embedder.embed([text]);
    if (!vector) throw new Error(`embedder "${this.embedder.id}" returned no vector`);
    return Array.from(vector);
  }

  /** Embeds several texts in one call of the Loci embedder (used by `getTextEmbeddingsBatch`). */
  override getTextEmbeddings = async (texts: string[]): Promise<number[][]> => {
    if (texts.length === 0) return [];
    const vectors = await this.embedder.embed(texts);
    if (vectors.length !== texts.length) {
      throw new Error(
        `embedder "${this.embedder.id}" returned ${vectors.length} vectors for ${texts.length} texts`,
      );
    }
    return vectors.map((v) => Array.from(v));
  };
}
