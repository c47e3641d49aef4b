/**
 * `@loci/langchain`: LangChain.js v1 and LangGraph.js adapters for Loci. Every class takes any
 * `MemoryClient` — the in-process `Loci` engine or the HTTP `LociClient`.
 *
 * @module
 */
export { LociChatMessageHistory, type LociChatMessageHistoryOptions } from "./chat-history.js";
export { LociEmbeddings, type LociEmbeddingsOptions } from "./embeddings.js";
export { itemId as storeItemId } from "./internal/store-encoding.js";
export { LociMemory, type LociMemoryOptions } from "./memory.js";
export {
  LociRetriever,
  type LociRetrieverMetadata,
  type LociRetrieverOptions,
  type LociRetrieverSearch,
} from "./retriever.js";
export { LociStore, type LociStoreOptions } from "./store.js";
export { LociVectorStore, type LociVectorStoreOptions } from "./vector-store.js";
