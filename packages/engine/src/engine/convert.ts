/**
 * Conversions between storage records and public shapes, and namespace-config validation.
 *
 * @module
 */
import { ValidationError } from "../errors.js";
import { HNSW_DEFAULTS } from "../index/hnsw.js";
import type { MemoryRecord, NamespaceRecord } from "../storage/driver.js";
import type {
  DecayStrategy,
  Memory,
  Namespace,
  NamespaceConfig,
  NamespaceConfigInput,
  NamespaceIndexing,
  VectorIndexConfig,
} from "../types.js";
import { isoTime as iso } from "../util/iso-time.js";
import { assertBoolean } from "../validation.js";

/** The configuration of a new namespace. */
export const DEFAULT_NAMESPACE_CONFIG: NamespaceConfig = {
  decayStrategy: "none",
  decayHalfLifeHours: 168,
  maxMemories: null,
  reinforceOnAccess: true,
  embedding: null,
  sentenceVectors: false,
  vectorIndex: { ...HNSW_DEFAULTS },
};

/** A stored configuration with the options added since it was written set to their defaults. */
export function fullConfig(config: NamespaceConfig): NamespaceConfig {
  return {
    ...config,
    sentenceVectors: config.sentenceVectors === true,
    vectorIndex: { ...DEFAULT_NAMESPACE_CONFIG.vectorIndex, ...config.vectorIndex },
  };
}

/** Bounds of each `vectorIndex` parameter. */
const VECTOR_INDEX_BOUNDS: Record<keyof VectorIndexConfig, [number, number]> = {
  m: [4, 96],
  efConstruction: [16, 2000],
  efSearch: [10, 4096],
};

const STRATEGIES: readonly DecayStrategy[] = ["none", "exponential", "linear", "logarithmic", "step"];
const CONFIG_KEYS = new Set([
  "decayStrategy",
  "decayHalfLifeHours",
  "maxMemories",
  "reinforceOnAccess",
  "sentenceVectors",
  "vectorIndex",
]);

/** A storage record as a public {@link Memory}. */
export function toMemory(namespace: string, rec: MemoryRecord): Memory {
  // Most memories were never updated or recalled: format a repeated time once.
  const createdAt = iso(rec.createdAt);
  const updatedAt = rec.updatedAt === rec.createdAt ? createdAt : iso(rec.updatedAt);
  return {
    id: rec.id,
    namespace,
    content: rec.content,
    metadata: rec.metadata,
    sessionId: rec.sessionId,
    agentId: rec.agentId,
    importance: rec.importance,
    createdAt,
    updatedAt,
    lastAccessedAt: rec.lastAccessedAt === rec.updatedAt ? updatedAt : iso(rec.lastAccessedAt),
    accessCount: rec.accessCount,
    expiresAt: rec.expiresAt === null ? null : iso(rec.expiresAt),
    entities: rec.entities.map((e) => ({ type: e.type, name: e.name })),
  };
}

/**
 * A deep copy of a JSON value (metadata, properties). Records handed to callers must not share objects
 * with the engine's in-memory tables (the attribute table the filters read, the knowledge graph), or a
 * caller mutating its result would change what later reads and filters see without any write.
 */
export function copyJson<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(copyJson) as T;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    // defineProperty keeps keys such as "__proto__" as plain data, as validation stored them.
    Object.defineProperty(out, key, {
      value: copyJson((value as Record<string, unknown>)[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out as T;
}

/** {@link toMemory} with its own copy of the metadata, for records also held in memory (writes). */
export function toOwnMemory(namespace: string, rec: MemoryRecord): Memory {
  return { ...toMemory(namespace, rec), metadata: copyJson(rec.metadata) };
}

/** A catalog record as a public {@link Namespace}. */
export function toNamespace(
  rec: NamespaceRecord,
  memoryCount: number,
  indexing: NamespaceIndexing = IDLE,
): Namespace {
  return {
    name: rec.name,
    description: rec.description,
    createdAt: iso(rec.createdAt),
    updatedAt: iso(rec.updatedAt),
    memoryCount,
    config: fullConfig(rec.config),
    indexing: { ...indexing },
  };
}

/** The background work of a namespace with none running. */
export const IDLE: NamespaceIndexing = {
  pendingVectors: 0,
  graphRebuildPending: 0,
  sentenceBackfillPending: 0,
};

/**
 * Validates configuration input and merges it over `base`.
 * @param extraKeys keys the caller's options object may hold besides configuration ones
 */
export function mergeConfig(
  base: NamespaceConfig,
  input: NamespaceConfigInput & Record<string, unknown>,
  extraKeys: readonly string[] = [],
): NamespaceConfig {
  for (const key of Object.keys(input)) {
    if (!CONFIG_KEYS.has(key) && !extraKeys.includes(key)) {
      throw new ValidationError({ message: `unknown namespace option "${key}"`, details: { field: key } });
    }
  }
  const next = fullConfig(base);
  if (input.decayStrategy !== undefined) {
    if (!STRATEGIES.includes(input.decayStrategy)) {
      throw new ValidationError({
        message: `decayStrategy must be one of ${STRATEGIES.join(", ")}`,
        details: { field: "decayStrategy" },
      });
    }
    next.decayStrategy = input.decayStrategy;
  }
  if (input.decayHalfLifeHours !== undefined) {
    const h = input.decayHalfLifeHours;
    if (typeof h !== "number" || !Number.isFinite(h) || h <= 0 || h > 1_000_000) {
      throw new ValidationError({
        message: "decayHalfLifeHours must be a number greater than 0 and at most 1,000,000",
        details: { field: "decayHalfLifeHours" },
      });
    }
    next.decayHalfLifeHours = h;
  }
  if (input.maxMemories !== undefined) {
    const m = input.maxMemories;
    if (m !== null && (typeof m !== "number" || !Number.isInteger(m) || m < 1 || m > 1_000_000_000)) {
      throw new ValidationError({
        message: "maxMemories must be a positive integer or null (unlimited)",
        details: { field: "maxMemories" },
      });
    }
    next.maxMemories = m;
  }
  if (input.reinforceOnAccess !== undefined)
    next.reinforceOnAccess = assertBoolean(input.reinforceOnAccess, "reinforceOnAccess");
  if (input.sentenceVectors !== undefined)
    next.sentenceVectors = assertBoolean(input.sentenceVectors, "sentenceVectors");
  if (input.vectorIndex !== undefined) next.vectorIndex = mergeVectorIndex(next, input.vectorIndex);
  return next;
}

function mergeVectorIndex(base: NamespaceConfig, input: unknown): VectorIndexConfig {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new ValidationError({
      message: "vectorIndex must be an object",
      details: { field: "vectorIndex" },
    });
  }
  const next = { ...base.vectorIndex };
  for (const [key, value] of Object.entries(input)) {
    const field = `vectorIndex.${key}`;
    if (!Object.hasOwn(VECTOR_INDEX_BOUNDS, key)) {
      throw new ValidationError({ message: `unknown vectorIndex option "${key}"`, details: { field } });
    }
    if (value === undefined) continue;
    const [min, max] = VECTOR_INDEX_BOUNDS[key as keyof VectorIndexConfig];
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      throw new ValidationError({
        message: `${field} must be an integer from ${min} to ${max}`,
        details: { field },
      });
    }
    next[key as keyof VectorIndexConfig] = value;
  }
  return next;
}
