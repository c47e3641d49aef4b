/**
 * `@loci/llamaindex`: LlamaIndex.TS adapters for Loci — an embedding model, a vector store, a
 * key-value store (for `KVDocumentStore` / `KVIndexStore`), a chat store and a memory block. All
 * storage goes through any `MemoryClient` (the in-process engine or the HTTP client).
 *
 * @module
 */
export { LociChatStore, type LociChatStoreOptions } from "./loci-chat-store.js";
export { LociEmbedding, type LociEmbeddingOptions } from "./loci-embedding.js";
export { LociKVStore, type LociKVStoreOptions } from "./loci-kv-store.js";
export {
  LociMemoryBlock,
  type LociMemoryBlockOptions,
  type LociMemoryBlockSearch,
} from "./loci-memory-block.js";
export {
  LociVectorStore,
  type LociVectorStoreOptions,
  memoryToNode,
  toLociFilter,
} from "./loci-vector-store.js";
