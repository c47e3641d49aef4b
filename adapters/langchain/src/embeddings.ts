/**
 * {@link LociEmbeddings}: a LangChain `Embeddings` over a Loci {@link Embedder}.
 *
 * @module
 */
import { Embeddings, type EmbeddingsParams } from "@langchain/core/embeddings";
import type { Embedder } from "@loci/engine";

/** Options of {@link LociEmbeddings}. */
export interface LociEmbeddingsOptions extends EmbeddingsParams {
  /** The Loci embedder to wrap (e.g. `new HashEmbedder()`, `new UseLiteEmbedder()`). */
  embedder: Embedder;
}

/**
 * A LangChain `Embeddings` that delegates to a Loci `Embedder`, so LangChain components (vector
 * stores, LangGraph's `InMemoryStore` index, …) and the Loci engine embed with the same model and
 * produce comparable vectors.
 *
 * @example
 * ```ts
 * const embeddings = new LociEmbeddings({ embedder: new HashEmbedder({ dimensions: 256 }) });
 * const v = await embeddings.embedQuery("hello");
 * ```
 */
export class LociEmbeddings extends Embeddings {
  /** The wrapped Loci embedder. */
  readonly embedder: Embedder;

  constructor(options: LociEmbeddingsOptions) {
    const { embedder, ...params } = options;
    super(params);
    this.embedder = embedder;
  }

  /** The vector length of the wrapped embedder. */
  get dimensions(): number {
    return this.embedder.dimensions;
  }

  /** Embeds documents in one batch (through LangChain's retrying caller). */
  async embedDocuments(texts: string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const vectors = await this.caller.call(() => this.embedder.embed(texts));
    return vectors.map((v) => Array.from(v));
  }

  /** Embeds one query. */
  async embedQuery(text: string): Promise<number[]> {
    const [v] = await this.caller.call(() => this.embedder.embed([text]));
    if (!v) throw new Error("embedder returned no vector");
    return Array.from(v);
  }
}
