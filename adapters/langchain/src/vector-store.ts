/**
 * {@link LociVectorStore}: a LangChain `VectorStore` over a Loci namespace.
 *
 * @module
 */
import type { Callbacks } from "@langchain/core/callbacks/manager";
import { Document, type DocumentInterface } from "@langchain/core/documents";
import type { EmbeddingsInterface } from "@langchain/core/embeddings";
import { maximalMarginalRelevance } from "@langchain/core/utils/math";
import { type MaxMarginalRelevanceSearchOptions, VectorStore } from "@langchain/core/vectorstores";
import {
  type Filter,
  LociError,
  type Memory,
  type MemoryClient,
  type Metadata,
  type SearchMode,
} from "@loci/engine";
import { deleteIds } from "./internal/delete-ids.js";

/** Options of {@link LociVectorStore}. */
export interface LociVectorStoreOptions {
  /** Any Loci client: the in-process `Loci` engine or the HTTP `LociClient`. */
  client: MemoryClient;
  /** The Loci namespace holding the documents. Its dimension must match the embeddings. */
  namespace: string;
  /** Store and search the documents in this Loci session (it must exist). */
  sessionId?: string;
  /** A Loci metadata filter ANDed with every search's filter. */
  filter?: Filter;
  /**
   * How `similaritySearchVectorWithScore` ranks. `"vector"` (default) is pure cosine on the given
   * query vector; `"hybrid"` also needs query text, which this method does not receive.
   * @default "vector"
   */
  mode?: SearchMode;
}

const CHUNK = 1000;

/**
 * A LangChain `VectorStore` whose documents are Loci memories: `pageContent` → content, `metadata`
 * → memory metadata (verbatim, so it must be JSON), `Document.id` ↔ memory id, vectors → the
 * memory's `embedding` (precomputed by `this.embeddings`). Filters are Loci metadata filters
 * (`{ source: "a", page: { $gte: 2 } }`), applied before the top-k cut. Scores are Loci's vector
 * score (cosine clipped to [0, 1]), higher = more similar.
 *
 * Use the same model for `embeddings` as the Loci namespace (e.g. `LociEmbeddings` over the engine's
 * embedder): a namespace fixes its dimension at the first write.
 *
 * @example
 * ```ts
 * const embeddings = new LociEmbeddings({ embedder });
 * const store = await LociVectorStore.fromTexts(["Acme renews in Q2"], [{ customer: "acme" }], embeddings, {
 *   client: loci,
 *   namespace: "docs",
 * });
 * const docs = await store.similaritySearch("renewal", 4, { customer: "acme" });
 * ```
 */
export class LociVectorStore extends VectorStore {
  declare FilterType: Filter;
  /** The Loci client. */
  readonly client: MemoryClient;
  /** The Loci namespace. */
  readonly namespace: string;
  /** The Loci session, if any. */
  readonly sessionId: string | undefined;
  /** The base filter. */
  readonly filter: Filter | undefined;
  /** The search mode. */
  readonly mode: SearchMode;

  constructor(embeddings: EmbeddingsInterface, options: LociVectorStoreOptions) {
    super(embeddings, options);
    this.client = options.client;
    this.namespace = options.namespace;
    this.sessionId = options.sessionId;
    this.filter = options.filter;
    this.mode = options.mode ?? "vector";
  }

  /** `"loci"`. */
  _vectorstoreType(): string {
    return "loci";
  }

  /**
   * Stores documents with precomputed vectors. Ids come from `options.ids`, else `Document.id`, else
   * Loci generates them; an existing id is overwritten. Returns the ids.
   */
  async addVectors(
    vectors: number[][],
    documents: DocumentInterface[],
    options?: { ids?: string[] },
  ): Promise<string[]> {
    if (vectors.length !== documents.length) throw new Error("vectors and documents differ in length");
    const inputs = documents.map((doc, i) => ({
      content: doc.pageContent,
      metadata: (doc.metadata ?? {}) as Metadata,
      embedding: vectors[i]!,
      id: options?.ids?.[i] ?? doc.id,
      ...(this.sessionId ? { sessionId: this.sessionId } : {}),
    }));
    const ids: string[] = [];
    if (inputs.every((x) => x.id === undefined)) {
      for (let i = 0; i < inputs.length; i += CHUNK) {
        const batch = inputs.slice(i, i + CHUNK).map(({ id: _id, ...rest }) => rest);
        const added = await this.client.memory.addMany({ namespace: this.namespace, memories: batch });
        ids.push(...added.map((m) => m.id));
      }
      return ids;
    }
    for (const input of inputs) {
      const { id, ...rest } = input;
      if (id === undefined) {
        ids.push((await this.client.memory.add({ namespace: this.namespace, ...rest })).id);
        continue;
      }
      try {
        await this.client.memory.add({ namespace: this.namespace, id, ...rest });
      } catch (err) {
        if (!(LociError.isInstance(err) && err.code === "ALREADY_EXISTS")) throw err;
        await this.client.memory.update({
          namespace: this.namespace,
          id,
          content: rest.content,
          metadata: rest.metadata,
          embedding: rest.embedding,
        });
      }
      ids.push(id);
    }
    return ids;
  }

  /** Embeds the documents with `this.embeddings` and stores them ({@link addVectors}). */
  async addDocuments(documents: DocumentInterface[], options?: { ids?: string[] }): Promise<string[]> {
    const vectors = await this.embeddings.embedDocuments(documents.map((d) => d.pageContent));
    return this.addVectors(vectors, documents, options);
  }

  private mergeFilter(filter?: Filter): Filter | undefined {
    if (this.filter && filter) return { $and: [this.filter, filter] };
    return filter ?? this.filter;
  }

  private toDocument(m: Memory): Document {
    return new Document({ pageContent: m.content, metadata: { ...m.metadata }, id: m.id });
  }

  /** The `k` nearest documents to a query vector with their scores, best first. */
  async similaritySearchVectorWithScore(
    query: number[],
    k: number,
    filter?: this["FilterType"],
  ): Promise<[Document, number][]> {
    const metadataFilter = this.mergeFilter(filter);
    const hits = await this.client.memory.search({
      namespace: this.namespace,
      query: "",
      queryEmbedding: query,
      mode: this.mode,
      limit: k,
      ...(metadataFilter ? { metadataFilter } : {}),
      ...(this.sessionId ? { sessionId: this.sessionId } : {}),
    });
    return hits.map((h) => [this.toDocument(h.memory), h.score]);
  }

  /**
   * Maximal marginal relevance: fetches `fetchK` candidates by vector, re-embeds their texts with
   * `this.embeddings` (Loci does not return stored vectors) and picks `k` balancing relevance and
   * diversity (`lambda`: 1 = relevance only).
   */
  override async maxMarginalRelevanceSearch(
    query: string,
    options: MaxMarginalRelevanceSearchOptions<this["FilterType"]>,
    _callbacks?: Callbacks,
  ): Promise<DocumentInterface[]> {
    const { k, fetchK = 20, lambda = 0.5, filter } = options;
    const queryVector = await this.embeddings.embedQuery(query);
    const candidates = await this.similaritySearchVectorWithScore(queryVector, fetchK, filter);
    if (candidates.length === 0) return [];
    const vectors = await this.embeddings.embedDocuments(candidates.map(([d]) => d.pageContent));
    const picked = maximalMarginalRelevance(queryVector, vectors, lambda, k);
    return picked.map((i) => candidates[i]![0]);
  }

  /** Deletes by `ids`, or every document matching a Loci `filter` (within the session, if set). */
  override async delete(params: { ids?: string[]; filter?: Filter } = {}): Promise<void> {
    const namespace = this.namespace;
    if (params.ids) await deleteIds(this.client, namespace, params.ids);
    if (params.filter) {
      await this.client.memory.deleteMany({
        namespace,
        filter: this.mergeFilter(params.filter)!,
        ...(this.sessionId ? { sessionId: this.sessionId } : {}),
      });
    }
  }

  /** Creates a store and adds texts (one metadata object per text, or one for all). */
  static override async fromTexts(
    texts: string[],
    metadatas: object[] | object,
    embeddings: EmbeddingsInterface,
    options: LociVectorStoreOptions,
  ): Promise<LociVectorStore> {
    const docs = texts.map(
      (pageContent, i) =>
        new Document({
          pageContent,
          metadata: Array.isArray(metadatas) ? (metadatas[i] ?? {}) : { ...(metadatas as object) },
        }),
    );
    return LociVectorStore.fromDocuments(docs, embeddings, options);
  }

  /** Creates a store and adds documents. */
  static override async fromDocuments(
    docs: DocumentInterface[],
    embeddings: EmbeddingsInterface,
    options: LociVectorStoreOptions,
  ): Promise<LociVectorStore> {
    const store = new LociVectorStore(embeddings, options);
    await store.addDocuments(docs);
    return store;
  }
}
