/**
 * The wire format of the Loci REST API (SPEC §6): JSON with snake_case keys. These converters map
 * between the camelCase shapes of `@loci/engine` and the wire; the server and the client both use
 * them, so the two stay in step. Metadata objects are passed through untouched.
 *
 * @module
 */
import type {
  CountMemoriesOptions,
  DeleteManyOptions,
  LociEvent,
  Memory,
  MemoryInput,
  MemoryPatch,
  Metadata,
  Namespace,
  NamespaceConfig,
  NamespaceConfigInput,
  ScoreBreakdown,
  SearchOptions,
  SearchResult,
  Session,
} from "@loci/engine";

export { fieldFromWire, fieldToWire, renameErrorField } from "./error-fields.js";

type Wire = Record<string, unknown>;

function defined(obj: Wire): Wire {
  const out: Wire = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out;
}

function vector(v: readonly number[] | Float32Array | undefined): number[] | undefined {
  return v === undefined ? undefined : Array.from(v);
}

/** A Date as ISO-8601; an invalid Date is left for the body check to reject by its field name. */
function time(v: unknown): unknown {
  return v instanceof Date && !Number.isNaN(v.getTime()) ? v.toISOString() : v;
}

/** Memory → wire. */
export function memoryToWire(m: Memory): Wire {
  return {
    id: m.id,
    namespace: m.namespace,
    content: m.content,
    metadata: m.metadata,
    session_id: m.sessionId,
    agent_id: m.agentId,
    importance: m.importance,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    last_accessed_at: m.lastAccessedAt,
    access_count: m.accessCount,
    expires_at: m.expiresAt,
    ...((m as { entities?: unknown }).entities !== undefined
      ? { entities: (m as { entities?: unknown }).entities }
      : {}),
  };
}

/** Wire → Memory. */
export function memoryFromWire(w: Wire): Memory {
  const m: Memory = {
    id: w.id as string,
    namespace: w.namespace as string,
    content: w.content as string,
    metadata: w.metadata as Metadata,
    sessionId: (w.session_id as string | null) ?? null,
    agentId: (w.agent_id as string | null) ?? null,
    importance: w.importance as number,
    createdAt: w.created_at as string,
    updatedAt: w.updated_at as string,
    lastAccessedAt: w.last_accessed_at as string,
    accessCount: w.access_count as number,
    expiresAt: (w.expires_at as string | null) ?? null,
    entities: (w.entities as Memory["entities"] | undefined) ?? [],
  };
  return m;
}

/** MemoryInput → wire (request body of an add). */
export function memoryInputToWire(m: MemoryInput): Wire {
  return defined({
    id: m.id,
    content: m.content,
    metadata: m.metadata,
    session_id: m.sessionId,
    agent_id: m.agentId,
    importance: m.importance,
    created_at: time(m.createdAt),
    expires_at: time(m.expiresAt),
    embedding: vector(m.embedding),
    entities: m.entities,
  });
}

/** Wire → MemoryInput (`null` optional fields, as in exported memories, count as absent). */
export function memoryInputFromWire(w: Wire): MemoryInput {
  return defined({
    id: w.id,
    content: w.content,
    metadata: w.metadata,
    sessionId: w.session_id ?? undefined,
    agentId: w.agent_id ?? undefined,
    importance: w.importance,
    createdAt: w.created_at,
    expiresAt: w.expires_at ?? undefined,
    embedding: w.embedding,
    entities: w.entities,
  }) as unknown as MemoryInput;
}

/** CountMemoriesOptions → wire (the body of `POST …/memories/count`). */
export function countToWire(o: CountMemoriesOptions): Wire {
  return defined({ session_id: o.sessionId, filter: o.filter });
}

/** DeleteManyOptions → wire (the body of `POST …/memories/delete`). */
export function deleteManyToWire(o: DeleteManyOptions): Wire {
  return defined({ ids: o.ids, ...countToWire(o) });
}

/** MemoryPatch → wire. */
export function memoryPatchToWire(p: MemoryPatch): Wire {
  return defined({
    content: p.content,
    metadata: p.metadata,
    importance: p.importance,
    expires_at: p.expiresAt === null ? null : time(p.expiresAt),
    embedding: vector(p.embedding),
  });
}

/** Wire → MemoryPatch. */
export function memoryPatchFromWire(w: Wire): MemoryPatch {
  return defined({
    content: w.content,
    metadata: w.metadata,
    importance: w.importance,
    expiresAt: w.expires_at,
    embedding: w.embedding,
  }) as MemoryPatch;
}

/** Namespace config (or config input) → wire. */
export function configToWire(c: NamespaceConfigInput & { embedding?: NamespaceConfig["embedding"] }): Wire {
  const v = c.vectorIndex;
  return defined({
    decay_strategy: c.decayStrategy,
    decay_half_life_hours: c.decayHalfLifeHours,
    max_memories: c.maxMemories,
    reinforce_on_access: c.reinforceOnAccess,
    sentence_vectors: c.sentenceVectors,
    vector_index: v && defined({ m: v.m, ef_construction: v.efConstruction, ef_search: v.efSearch }),
    embedding: c.embedding,
  });
}

/** Wire → namespace config input. */
export function configFromWire(w: Wire): NamespaceConfigInput {
  return defined({
    decayStrategy: w.decay_strategy,
    decayHalfLifeHours: w.decay_half_life_hours,
    maxMemories: w.max_memories,
    reinforceOnAccess: w.reinforce_on_access,
    sentenceVectors: w.sentence_vectors,
    vectorIndex: vectorIndexFromWire(w.vector_index as Wire | undefined),
  }) as NamespaceConfigInput;
}

/** Wire → the HNSW parameters of a namespace config (those given). */
function vectorIndexFromWire(v: Wire | undefined): NamespaceConfigInput["vectorIndex"] {
  return v && defined({ m: v.m, efConstruction: v.ef_construction, efSearch: v.ef_search });
}

/** Namespace → wire. */
export function namespaceToWire(n: Namespace): Wire {
  return {
    name: n.name,
    description: n.description,
    created_at: n.createdAt,
    updated_at: n.updatedAt,
    memory_count: n.memoryCount,
    config: configToWire(n.config),
    indexing: {
      pending_vectors: n.indexing.pendingVectors,
      graph_rebuild_pending: n.indexing.graphRebuildPending,
      sentence_backfill_pending: n.indexing.sentenceBackfillPending,
    },
  };
}

/** Wire → Namespace. */
export function namespaceFromWire(w: Wire): Namespace {
  const c = w.config as Wire;
  const i = w.indexing as Wire | undefined;
  return {
    name: w.name as string,
    description: w.description as string,
    createdAt: w.created_at as string,
    updatedAt: w.updated_at as string,
    memoryCount: w.memory_count as number,
    config: {
      decayStrategy: c.decay_strategy as NamespaceConfig["decayStrategy"],
      decayHalfLifeHours: c.decay_half_life_hours as number,
      maxMemories: (c.max_memories as number | null) ?? null,
      reinforceOnAccess: c.reinforce_on_access as boolean,
      sentenceVectors: c.sentence_vectors === true,
      vectorIndex: vectorIndexFromWire(c.vector_index as Wire) as NamespaceConfig["vectorIndex"],
      embedding: (c.embedding as NamespaceConfig["embedding"]) ?? null,
    },
    // Servers before this field reported no background work.
    indexing: {
      pendingVectors: Number(i?.pending_vectors ?? 0),
      graphRebuildPending: Number(i?.graph_rebuild_pending ?? 0),
      sentenceBackfillPending: Number(i?.sentence_backfill_pending ?? 0),
    },
  };
}

/** Session → wire. */
export function sessionToWire(s: Session): Wire {
  return {
    id: s.id,
    namespace: s.namespace,
    metadata: s.metadata,
    created_at: s.createdAt,
    ended_at: s.endedAt,
    memory_count: s.memoryCount,
  };
}

/** Wire → Session. */
export function sessionFromWire(w: Wire): Session {
  return {
    id: w.id as string,
    namespace: w.namespace as string,
    metadata: w.metadata as Metadata,
    createdAt: w.created_at as string,
    endedAt: (w.ended_at as string | null) ?? null,
    memoryCount: w.memory_count as number,
  };
}

/** Search options (without namespace fields) → wire. */
export function searchToWire(o: Omit<SearchOptions, "namespace">): Wire {
  return defined({
    namespaces: o.namespaces,
    query: o.query,
    limit: o.limit,
    metadata_filter: o.metadataFilter,
    session_id: o.sessionId,
    recency_weight: o.recencyWeight,
    mode: o.mode,
    min_score: o.minScore,
    query_embedding: vector(o.queryEmbedding),
    graph: o.graph,
    fusion: o.fusion,
    vector_weight: o.vectorWeight,
    neighbors: o.neighbors,
    length_prior: o.lengthPrior,
    time:
      o.time === undefined || o.time === false
        ? o.time
        : defined({
            mode: o.time.mode,
            weight: o.time.weight,
            reference_time: time(o.time.referenceTime),
          }),
  });
}

/** Wire → search options. */
export function searchFromWire(w: Wire): SearchOptions {
  return defined({
    namespaces: w.namespaces,
    query: w.query,
    limit: w.limit,
    metadataFilter: w.metadata_filter,
    sessionId: w.session_id,
    recencyWeight: w.recency_weight,
    mode: w.mode,
    minScore: w.min_score,
    queryEmbedding: w.query_embedding,
    graph: w.graph,
    fusion: w.fusion,
    vectorWeight: w.vector_weight,
    neighbors: w.neighbors,
    lengthPrior: w.length_prior,
    time:
      w.time === undefined || w.time === false
        ? w.time
        : defined({
            mode: (w.time as Wire).mode,
            weight: (w.time as Wire).weight,
            referenceTime: (w.time as Wire).reference_time,
          }),
  }) as unknown as SearchOptions;
}

/** Search result → wire. */
export function resultToWire(r: SearchResult): Wire {
  return { memory: memoryToWire(r.memory), namespace: r.namespace, score: r.score, scores: r.scores };
}

/** Wire → search result. */
export function resultFromWire(w: Wire): SearchResult {
  return {
    memory: memoryFromWire(w.memory as Wire),
    namespace: w.namespace as string,
    score: w.score as number,
    scores: w.scores as ScoreBreakdown,
  };
}

/** Event → wire (the SSE `data` field). */
export function eventToWire(e: LociEvent): Wire {
  return { seq: e.seq, namespace: e.namespace, type: e.type, id: e.id, at: e.at, data: e.data };
}

/** Wire → event. */
export function eventFromWire(w: Wire): LociEvent {
  return w as unknown as LociEvent;
}
