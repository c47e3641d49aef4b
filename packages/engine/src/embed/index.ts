/**
 * Embedders: the {@link Embedder} contract and its built-in implementations.
 *
 * @module
 */
export { CachedEmbedder, type CachedEmbedderOptions, type EmbeddingCacheStats } from "./cached.js";
export { type Embedder, normalize } from "./embedder.js";
export { FunctionEmbedder, type FunctionEmbedderOptions } from "./function.js";
export { HashEmbedder, type HashEmbedderOptions } from "./hash.js";
export { OpenAICompatibleEmbedder, type OpenAICompatibleEmbedderOptions } from "./openai-compatible.js";
export { UseLiteEmbedder, type UseLiteEmbedderOptions, type UseLiteModel } from "./use-lite.js";
