/**
 * {@link LociVectorStore}: a LlamaIndex vector store over one Loci namespace.
 *
 * @module
 */
import type { BaseEmbedding } from "@llamaindex/core/embeddings";
import { type BaseNode, MetadataMode } from "@llamaindex/core/schema";
import {
  BaseVectorStore,
  metadataDictToNode,
  nodeToMetadata,
  type VectorStoreQuery,
  type VectorStoreQueryResult,
} from "@llamaindex/core/vector-store";
import type { Filter, Memory, MemoryClient, Metadata, SearchMode } from "@loci/engine";
import { deleteAll, hasCode, nonBlank, toMetadata } from "./internal.js";
import { toLociFilter } from "./metadata-filters.js";
import { selectMmr } from "./mmr.js";

export { toLociFilter } from "./metadata-filters.js";

/** Options of {@link LociVectorStore}. */
export interface LociVectorStoreOptions {
  /** Any `MemoryClient`: the in-process engine (`Loci.open`) or the HTTP client (`LociClient`). */
  client: MemoryClient;
  /** The Loci namespace that holds the nodes. */
  namespace: string;
  /**
   * The embedding model for queries without a precomputed embedding (and for nodes added without
   * one). Passing it also avoids LlamaIndex's fallback to the global `Settings.embedModel`.
   */
  embedModel?: BaseEmbedding;
  /**
   * Candidates fetched (most relevant first) for `mmr` queries, before the diverse subset is picked
   * (never fewer than `similarityTopK`, at most 1000).
   * @default max(20, 4 × similarityTopK)
   */
  mmrPrefetchK?: number;
}

/** Metadata keys the adapter adds for itself; stripped before a node is rebuilt. */
const NODE_ID_KEY = "_loci_node_id";
const TEXT_IN_CONTENT_KEY = "_loci_text_in_content";
/** Memories per `addMany` call and results per search (the engine's limits). */
const BATCH = 1000;
/** A search result of the Loci client. */
type Hit = Awaited<ReturnType<MemoryClient["memory"]["search"]>>[number];

/** Maps a LlamaIndex query mode to a Loci search mode. */
function toSearchMode(mode: string | undefined): SearchMode {
  switch (mode ?? "default") {
    case "default":
    case "mmr":
      return "vector";
    case "hybrid":
    case "semantic_hybrid":
      return "hybrid";
    case "sparse":
    case "text_search":
      return "keyword";
    default:
      throw new Error(
        `LociVectorStore: unsupported query mode "${String(mode)}" (supported: default, mmr, hybrid, semantic_hybrid, sparse)`,
      );
  }
}

/**
 * A LlamaIndex `BaseVectorStore` whose nodes are Loci memories in one namespace: id = node id,
 * content = node text, embedding = the node's (precomputed) embedding, metadata = the node's
 * metadata plus LlamaIndex's serialized node (`_node_content`, `_node_type`, `ref_doc_id`), so
 * nodes, their metadata and relationships round-trip. `storesText` is true: the index needs no
 * separate text store, and `VectorStoreIndex.fromVectorStore` works.
 *
 * The namespace's embedding dimension (fixed at its first write) must equal the embed model's.
 * Metadata keys containing dots are read by Loci filters as nested paths.
 */
export class LociVectorStore extends BaseVectorStore<MemoryClient> {
  /** Node text is stored (as the memory content). */
  storesText = true;
  /** The Loci namespace of the nodes. */
  readonly namespace: string;
  readonly #client: MemoryClient;
  readonly #mmrPrefetchK: number | undefined;

  constructor(options: LociVectorStoreOptions) {
    super(options.embedModel ? { embedModel: options.embedModel } : {});
    this.#client = options.client;
    this.namespace = options.namespace;
    const k = options.mmrPrefetchK;
    if (k !== undefined && !(Number.isInteger(k) && k >= 1 && k <= BATCH)) {
      throw new Error(`LociVectorStore: mmrPrefetchK must be an integer in [1, ${BATCH}]`);
    }
    this.#mmrPrefetchK = k;
  }

  /** The underlying `MemoryClient`. */
  client(): MemoryClient {
    return this.#client;
  }

  /**
   * Stores nodes (replacing any with the same id). Nodes without an embedding are embedded with
   * `embedModel`. Returns the node ids.
   */
  async add(nodes: BaseNode[]): Promise<string[]> {
    if (nodes.length === 0) return [];
    const inputs = await Promise.all(nodes.map((n) => this.#toInput(n)));
    for (let i = 0; i < inputs.length; i += BATCH) {
      const batch = inputs.slice(i, i + BATCH);
      try {
        await this.#client.memory.addMany({ namespace: this.namespace, memories: batch });
      } catch (err) {
        if (!hasCode(err, "ALREADY_EXISTS")) throw err;
        // Some ids exist: upsert one by one (the batch was applied all-or-none, so nothing is half done).
        for (const input of batch) {
          try {
            await this.#client.memory.add({ namespace: this.namespace, ...input });
          } catch (e) {
            if (!hasCode(e, "ALREADY_EXISTS")) throw e;
            await this.#client.memory.update({ namespace: this.namespace, ...input });
          }
        }
      }
    }
    return nodes.map((n) => n.id_);
  }

  async #toInput(
    node: BaseNode,
  ): Promise<{ id: string; content: string; metadata: Metadata; embedding: number[] }> {
    const text = node.getContent(MetadataMode.NONE);
    const textInContent = text.trim() !== "";
    const meta = nodeToMetadata(node, textInContent) as Record<string, unknown>;
    meta[NODE_ID_KEY] = node.id_;
    if (textInContent) meta[TEXT_IN_CONTENT_KEY] = true;
    const embedding = node.embedding ?? (await this.embedModel.getTextEmbedding(text));
    return {
      id: node.id_,
      content: nonBlank(text, `[node ${node.id_}]`),
      metadata: toMetadata(meta),
      embedding,
    };
  }

  /** Deletes every node of the source document `refDocId`. */
  async delete(refDocId: string): Promise<void> {
    await deleteAll(this.#client, this.namespace, { ref_doc_id: { $eq: refDocId } });
  }

  /**
   * Searches the namespace. `mode`: default → Loci `vector`; `hybrid` (and `semantic_hybrid`) →
   * Loci `hybrid` with `queryStr` and `queryEmbedding` (`alpha` → `vectorWeight`); `sparse` →
   * Loci `keyword`; `mmr` → maximal marginal relevance over the `mmrPrefetchK` nearest nodes,
   * re-embedded with `embedModel`: the most relevant first, then each time the node maximising
   * `mmrThreshold · relevance − (1 − mmrThreshold) · max similarity to the nodes already picked`
   * (`mmrThreshold` in [0, 1], default 0.5).
   * `filters` and `docIds` (matched against `ref_doc_id` or the node id) are applied before the
   * top-k cut. Similarities are Loci scores in [0, 1] (in `mmr` mode: each node's relevance).
   */
  async query(query: VectorStoreQuery): Promise<VectorStoreQueryResult> {
    const mode = toSearchMode(query.mode);
    const mmr = query.mode === "mmr";
    const lambda = query.mmrThreshold ?? 0.5;
    if (mmr && !(lambda >= 0 && lambda <= 1)) {
      throw new Error(`LociVectorStore: mmrThreshold must be in [0, 1], got ${String(query.mmrThreshold)}`);
    }
    const queryStr = query.queryStr ?? "";
    let queryEmbedding = query.queryEmbedding;
    if (mode !== "keyword" && !queryEmbedding) {
      if (queryStr.trim() === "")
        throw new Error("LociVectorStore: a query needs queryEmbedding or queryStr");
      queryEmbedding = await this.embedModel.getTextEmbedding(queryStr);
    }
    if (mode === "keyword" && queryStr.trim() === "") {
      throw new Error('LociVectorStore: mode "sparse" (keyword search) needs queryStr');
    }
    const topK = Math.max(1, Math.floor(query.similarityTopK));
    const metadataFilter = queryFilter(query);
    let hits: Hit[];
    try {
      hits = await this.#client.memory.search({
        namespace: this.namespace,
        query: mode === "vector" ? "" : queryStr,
        mode,
        limit: mmr ? Math.min(BATCH, Math.max(topK, this.#mmrPrefetchK ?? Math.max(20, 4 * topK))) : topK,
        ...(mode !== "keyword" && queryEmbedding ? { queryEmbedding } : {}),
        ...(metadataFilter ? { metadataFilter } : {}),
        ...(mode === "hybrid" && query.alpha !== undefined ? { vectorWeight: query.alpha } : {}),
      });
    } catch (err) {
      if (hasCode(err, "NAMESPACE_NOT_FOUND")) return { nodes: [], similarities: [], ids: [] };
      throw err;
    }
    const nodes = hits.map((h) => memoryToNode(h.memory));
    if (mmr && hits.length > 0) {
      // Loci does not return stored vectors: re-embed the candidates as VectorStoreIndex embeds nodes.
      const vectors = await this.embedModel.getTextEmbeddingsBatch(
        nodes.map((n) => n.getContent(MetadataMode.EMBED)),
      );
      const picked = selectMmr(queryEmbedding!, vectors, lambda, topK);
      return {
        nodes: picked.map((i) => nodes[i]!),
        similarities: picked.map((i) => hits[i]!.score),
        ids: picked.map((i) => hits[i]!.memory.id),
      };
    }
    return { nodes, similarities: hits.map((h) => h.score), ids: hits.map((h) => h.memory.id) };
  }
}

/** The Loci filter of a query's `filters` and `docIds` (`undefined` when it has neither). */
function queryFilter(query: VectorStoreQuery): Filter | undefined {
  const parts: Filter[] = [];
  const metaFilter = toLociFilter(query.filters);
  if (metaFilter) parts.push(metaFilter);
  if (query.docIds && query.docIds.length > 0) {
    parts.push({ $or: [{ ref_doc_id: { $in: query.docIds } }, { [NODE_ID_KEY]: { $in: query.docIds } }] });
  }
  return parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : { $and: parts };
}

/** Rebuilds a LlamaIndex node from a memory written by {@link LociVectorStore.add}. */
export function memoryToNode(memory: Memory): BaseNode {
  const { [NODE_ID_KEY]: _id, [TEXT_IN_CONTENT_KEY]: textInContent, ...meta } = memory.metadata;
  const raw = meta._node_content;
  if (typeof raw === "string" && textInContent === true) {
    const parsed = JSON.parse(raw) as Record<string, unknown>;
    parsed.text = memory.content;
    meta._node_content = JSON.stringify(parsed);
  }
  return metadataDictToNode(meta, { fallback: { id_: memory.id, text: memory.content, metadata: {} } });
}
