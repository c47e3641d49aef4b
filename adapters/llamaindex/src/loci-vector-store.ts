/**
 * {@link LociVectorStore}: a LlamaIndex vector store over one Loci namespace.
 *
 * @module
 */
import type { BaseEmbedding } from "@llamaindex/core/embeddings";
import { type BaseNode, MetadataMode } from "@llamaindex/core/schema";
import {
  BaseVectorStore,
  type MetadataFilter,
  type MetadataFilters,
  metadataDictToNode,
  nodeToMetadata,
  type VectorStoreQuery,
  type VectorStoreQueryResult,
} from "@llamaindex/core/vector-store";
import type { Filter, Memory, MemoryClient, Metadata, SearchMode } from "@loci/engine";
import { hasCode, listAll, nonBlank, toMetadata } from "./internal.js";

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
}

/** Metadata keys the adapter adds for itself; stripped before a node is rebuilt. */
const NODE_ID_KEY = "_loci_node_id";
const TEXT_IN_CONTENT_KEY = "_loci_text_in_content";
/** Memories per `addMany` call (the engine's batch limit). */
const BATCH = 1000;

/**
 * Translates LlamaIndex `MetadataFilters` into a Loci metadata filter.
 *
 * Every LlamaIndex operator is mapped: `==` `!=` `>` `<` `>=` `<=` → `$eq` `$ne` `$gt` `$lt` `$gte`
 * `$lte`; `in`/`any` → `$in`; `nin` → `$nin`; `all` → `$and` of `$contains`; `contains` and
 * `text_match` → `$contains` (element of an array field / substring of a string field);
 * `is_empty` → missing, `null`, `""` or `[]`. `condition: "or"` → `$or`, otherwise `$and`. As in
 * LlamaIndex's `SimpleVectorStore`, a node without the key matches no operator but `is_empty`
 * (so `!=` and `nin` also require the key).
 *
 * @throws {Error} on an unknown operator or a value of the wrong shape.
 */
export function toLociFilter(filters: MetadataFilters | undefined): Filter | undefined {
  if (!filters || filters.filters.length === 0) return undefined;
  const parts = filters.filters.map(toLociCondition);
  const condition = filters.condition ?? "and";
  if (condition !== "and" && condition !== "or") {
    throw new Error(
      `LociVectorStore: unsupported filter condition "${String(condition)}" (use "and" or "or")`,
    );
  }
  return condition === "or" ? { $or: parts } : { $and: parts };
}

function toLociCondition(f: MetadataFilter): Filter {
  const { key, value, operator } = f;
  if (typeof key !== "string" || key === "")
    throw new Error("LociVectorStore: a metadata filter needs a key");
  const need = (): NonNullable<MetadataFilter["value"]> => {
    if (value === undefined || value === null) {
      throw new Error(`LociVectorStore: filter operator "${operator}" on "${key}" needs a value`);
    }
    return value;
  };
  const scalar = (): string | number => {
    const v = need();
    if (Array.isArray(v))
      throw new Error(`LociVectorStore: filter operator "${operator}" on "${key}" needs a single value`);
    return v;
  };
  const list = (): (string | number)[] => {
    const v = need();
    return Array.isArray(v) ? [...v] : [v];
  };
  switch (operator) {
    case "==":
      return { [key]: { $eq: scalar() } };
    case "!=":
      // LlamaIndex: every operator but is_empty is false when the key is missing.
      return { [key]: { $exists: true, $ne: scalar() } };
    case ">":
      return { [key]: { $gt: scalar() } };
    case "<":
      return { [key]: { $lt: scalar() } };
    case ">=":
      return { [key]: { $gte: scalar() } };
    case "<=":
      return { [key]: { $lte: scalar() } };
    case "in":
    case "any":
      return { [key]: { $in: list() } };
    case "nin":
      return { [key]: { $exists: true, $nin: list() } };
    case "all": {
      const values = list();
      if (values.length === 0)
        throw new Error(`LociVectorStore: filter operator "all" on "${key}" needs values`);
      return { $and: values.map((v) => ({ [key]: { $contains: v } })) };
    }
    case "contains":
      return { [key]: { $contains: scalar() } };
    case "text_match": {
      const v = scalar();
      if (typeof v !== "string")
        throw new Error(`LociVectorStore: filter operator "text_match" on "${key}" needs a string`);
      return { [key]: { $contains: v } };
    }
    case "is_empty":
      return {
        $or: [
          { [key]: { $exists: false } },
          { [key]: { $eq: null } },
          { [key]: { $eq: "" } },
          { [key]: { $eq: [] } },
        ],
      };
    default:
      throw new Error(`LociVectorStore: unsupported metadata filter operator "${String(operator)}"`);
  }
}

/** Maps a LlamaIndex query mode to a Loci search mode. */
function toSearchMode(mode: string | undefined): SearchMode {
  switch (mode ?? "default") {
    case "default":
      return "vector";
    case "hybrid":
    case "semantic_hybrid":
      return "hybrid";
    case "sparse":
    case "text_search":
      return "keyword";
    default:
      throw new Error(
        `LociVectorStore: unsupported query mode "${String(mode)}" (supported: default, hybrid, semantic_hybrid, sparse)`,
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

  constructor(options: LociVectorStoreOptions) {
    super(options.embedModel ? { embedModel: options.embedModel } : {});
    this.#client = options.client;
    this.namespace = options.namespace;
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
    const memories = await listAll(this.#client, this.namespace, { ref_doc_id: { $eq: refDocId } });
    for (const m of memories) await this.#client.memory.delete({ namespace: this.namespace, id: m.id });
  }

  /**
   * Searches the namespace. `mode`: default → Loci `vector`; `hybrid` (and `semantic_hybrid`) →
   * Loci `hybrid` with `queryStr` and `queryEmbedding` (`alpha` → `vectorWeight`); `sparse` →
   * Loci `keyword`. `filters` and `docIds` (matched against `ref_doc_id` or the node id) are
   * applied before the top-k cut. Similarities are Loci scores in [0, 1].
   */
  async query(query: VectorStoreQuery): Promise<VectorStoreQueryResult> {
    const mode = toSearchMode(query.mode);
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
    const parts: Filter[] = [];
    const metaFilter = toLociFilter(query.filters);
    if (metaFilter) parts.push(metaFilter);
    if (query.docIds && query.docIds.length > 0) {
      parts.push({ $or: [{ ref_doc_id: { $in: query.docIds } }, { [NODE_ID_KEY]: { $in: query.docIds } }] });
    }
    const metadataFilter = parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : { $and: parts };
    let hits: Awaited<ReturnType<MemoryClient["memory"]["search"]>>;
    try {
      hits = await this.#client.memory.search({
        namespace: this.namespace,
        query: mode === "vector" ? "" : queryStr,
        mode,
        limit: Math.max(1, Math.floor(query.similarityTopK)),
        ...(mode !== "keyword" && queryEmbedding ? { queryEmbedding } : {}),
        ...(metadataFilter ? { metadataFilter } : {}),
        ...(mode === "hybrid" && query.alpha !== undefined ? { vectorWeight: query.alpha } : {}),
      });
    } catch (err) {
      if (hasCode(err, "NAMESPACE_NOT_FOUND")) return { nodes: [], similarities: [], ids: [] };
      throw err;
    }
    return {
      nodes: hits.map((h) => memoryToNode(h.memory)),
      similarities: hits.map((h) => h.score),
      ids: hits.map((h) => h.memory.id),
    };
  }
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
