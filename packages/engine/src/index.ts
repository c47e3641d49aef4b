/**
 * `@loci/engine`: the embedded Loci memory engine.
 *
 * @example
 * ```ts
 * import { Loci } from "@loci/engine";
 * const loci = await Loci.open({ dataDir: "./loci-data" });
 * await loci.memory.add({ namespace: "triage", content: "Customer cust_42 reports double billing" });
 * const results = await loci.memory.search({ namespace: "triage", query: "billing problems" });
 * ```
 * @module
 */

// Time, decay and limits
export { type Clock, ManualClock, systemClock } from "./clock.js";
export { decayCurve, effectiveHalfLife, recency, retention } from "./decay.js";
// Embedders
export { CachedEmbedder, type CachedEmbedderOptions, type EmbeddingCacheStats } from "./embed/cached.js";
export { type Embedder, normalize } from "./embed/embedder.js";
export { FunctionEmbedder, type FunctionEmbedderOptions } from "./embed/function.js";
export { HashEmbedder, type HashEmbedderOptions } from "./embed/hash.js";
export { OpenAICompatibleEmbedder, type OpenAICompatibleEmbedderOptions } from "./embed/openai-compatible.js";
export { UseLiteEmbedder, type UseLiteEmbedderOptions } from "./embed/use-lite.js";
// Background work
export {
  type BackgroundErrorHandler,
  type BackgroundFailure,
  type BackgroundWork,
  describeFailure,
} from "./engine/background-failures.js";
// Event streams (for other MemoryClient implementations)
export { type StreamOptions, streamEvents } from "./engine/event-stream.js";
// Knowledge graph
export { BUILTIN_EDGE_TYPES, entityKey, foldName, GRAPH_LIMITS } from "./engine/graph-model.js";

// Errors
export {
  ConflictError,
  EmbedderError,
  EmbeddingMismatchError,
  ERROR_CODES,
  type ErrorCode,
  FilterError,
  LociError,
  type LociErrorOptions,
  NotFoundError,
  StorageError,
  storageFailure,
  toLociError,
  ValidationError,
} from "./errors.js";
// Filters
export { compileFilter, matchesFilter } from "./filter/compile.js";
export type { Filter, FilterPredicate } from "./filter/types.js";
// The engine and its client interface
export { Loci, type LociOptions } from "./loci.js";
// Storage
export type {
  ChangeRecord,
  EdgeRecord,
  EdgeUpsert,
  EntityLink,
  EntityRecord,
  EntityRemoval,
  EntityUpsert,
  GraphData,
  GraphUpsertResult,
  MemoryRecord,
  MemoryRemoval,
  NamespaceRecord,
  NamespaceStore,
  StorageDriver,
} from "./storage/driver.js";
export { PostgresDriver, type PostgresDriverOptions } from "./storage/postgres.js";
export type { PostgresNamespaceStore } from "./storage/postgres-namespace.js";
export type { KeywordSearchOptions, SearchStats, VectorSearchOptions } from "./storage/postgres-search.js";
export { SqliteDriver, type SqliteDriverOptions } from "./storage/sqlite.js";
export {
  Checkpointer,
  type CheckpointerOptions,
  type CheckpointFailure,
} from "./storage/sqlite-checkpointer.js";
export type * from "./types.js";
export { canonicalJson } from "./util/canonical-json.js";
export { LIMITS, type Limits, resolveLimits } from "./validation.js";
