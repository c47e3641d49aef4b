/**
 * Public record and option types, and the {@link MemoryClient} interface that both the in-process
 * engine and the HTTP client (`@loci/client`) implement. Timestamps are ISO-8601 strings so that
 * records look the same in-process and on the wire.
 *
 * @module
 */
import type { Filter } from "./filter/types.js";
import type { EntityRef, GraphSearchOptions, KnowledgeGraphApi } from "./graph-types.js";

export type * from "./graph-types.js";

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object: memory and namespace metadata. */
export type Metadata = { [key: string]: JsonValue };

/** How a namespace lowers old memories (SPEC §4). */
export type DecayStrategy = "none" | "exponential" | "linear" | "logarithmic" | "step";

/** Per-namespace configuration. */
export interface NamespaceConfig {
  /** @default "none" */
  decayStrategy: DecayStrategy;
  /** @default 168 */
  decayHalfLifeHours: number;
  /** Evict lowest-retention memories beyond this many. `null` = unlimited. @default null */
  maxMemories: number | null;
  /** Search hits refresh `lastAccessedAt` / `accessCount`. @default true */
  reinforceOnAccess: boolean;
  /** The embedding model and dimension, fixed at the first write. `null` until then. */
  embedding: { model: string; dimensions: number } | null;
  /**
   * Also embed each sentence of a memory written with two or more sentences, and score a memory in
   * search by its best sentence or its whole text, whichever is closer to the query (see the engine
   * README, "Sentence vectors"). Turning it on backfills the memories already stored, in the
   * background. @default false
   */
  sentenceVectors: boolean;
  /**
   * The namespace's ANN graph (HNSW, see the engine README, "The vector index"). Changing `m` or
   * `efConstruction` of a namespace that holds memories rebuilds its graph; `efSearch` applies at once.
   */
  vectorIndex: VectorIndexConfig;
}

/** HNSW parameters of a namespace's ANN graph. */
export interface VectorIndexConfig {
  /** Links per node: more links find more of the true neighbours in large graphs, at more memory and build time. @default 16 */
  m: number;
  /** Candidate list while inserting: larger builds a better graph, more slowly. @default 100 */
  efConstruction: number;
  /** Search beam up to 100,000 memories (wider past that, growing with the graph). @default 64 */
  efSearch: number;
}

/** A namespace as returned by `namespace.get/list/create`. */
export interface Namespace {
  name: string;
  description: string;
  createdAt: string;
  updatedAt: string;
  memoryCount: number;
  config: NamespaceConfig;
  /** Background work on the namespace still running in this engine (every count 0 when idle). */
  indexing: NamespaceIndexing;
}

/**
 * A namespace's background work, in memories. Searches are complete throughout (see
 * `Loci.whenIndexed`); these say how much is left before they run at full speed or with every vector.
 */
export interface NamespaceIndexing {
  /** Committed but not yet in the ANN graph (searches score them exactly meanwhile). */
  pendingVectors: number;
  /** Still to be copied into the graph being rebuilt after `vectorIndex.m` or `efConstruction` changed. */
  graphRebuildPending: number;
  /** Still to be checked by the sentence-vector backfill after `sentenceVectors` was turned on. */
  sentenceBackfillPending: number;
}

/** A stored memory. */
export interface Memory {
  id: string;
  namespace: string;
  content: string;
  metadata: Metadata;
  sessionId: string | null;
  agentId: string | null;
  importance: number;
  createdAt: string;
  updatedAt: string;
  lastAccessedAt: string;
  accessCount: number;
  expiresAt: string | null;
  /** The knowledge-graph entities the memory is linked to (`[]` when none), with their display names. */
  entities: EntityRef[];
}

/** A point in time accepted on input: a `Date`, an ISO-8601 string or epoch milliseconds. */
export type TimeInput = Date | string | number;

/** Input of one memory (in `memory.add` and `memory.addMany`). */
export interface MemoryInput {
  content: string;
  /** Server-generated (UUIDv7) unless given; adding an existing id is `ALREADY_EXISTS`. */
  id?: string;
  metadata?: Metadata;
  sessionId?: string;
  agentId?: string;
  /** 0–1. @default 0.5 */
  importance?: number;
  /** For imports and replays. @default now */
  createdAt?: TimeInput;
  expiresAt?: TimeInput;
  /** A precomputed embedding of the namespace's dimension (skips the embedder). */
  embedding?: readonly number[] | Float32Array;
  /**
   * Links the memory to knowledge-graph entities (created if missing) in the same transaction, so
   * graph-aware search can find it through them. At most 64.
   */
  entities?: readonly EntityRef[];
}

/** Write options of `memory.add` and `memory.addMany`, beside the memories themselves. */
export interface AddOptions {
  /**
   * Refuses ids that were removed before: when the id of any memory written was deleted, evicted or
   * expired in this namespace (the change log keeps removals for good), nothing is written and the call
   * fails with `MEMORY_REMOVED` (409; `details.removed` lists each such id with its
   * {@link MemoryRemovalInfo}). Checked inside the write's own transaction, so a delete cannot land
   * between the check and the insert. For re-imports and retries that must not bring back what someone
   * removed. Ids stored now are `ALREADY_EXISTS` as always. @default false
   */
  refuseRemovedIds?: boolean;
  /**
   * Stores no copies: a memory that repeats one the namespace holds — the same content once trimmed and
   * with runs of whitespace as one space, the same session, agent and metadata — is not written again;
   * the call answers with the stored memory instead (its own id and `createdAt`, whatever id was
   * asked for), logs no change and counts the repetition as an access (retention is reinforced). Items
   * of one batch that repeat each other are stored once. Checked inside the write lock among the 20
   * best keyword matches of the content (exact comparison, never a near-duplicate; expired memories do
   * not count). @default false
   */
  dedupe?: boolean;
}

/** Search mode. */
export type SearchMode = "hybrid" | "vector" | "keyword";

/** Options of `memory.search`. Give `namespace` or `namespaces`. */
export interface SearchOptions {
  namespace?: string;
  namespaces?: readonly string[];
  query: string;
  /** @default 10 (max 1000) */
  limit?: number;
  metadataFilter?: Filter;
  sessionId?: string;
  /** Blend of recency into the final score, in [0, 1]. @default 0 */
  recencyWeight?: number;
  /** @default "hybrid" */
  mode?: SearchMode;
  /** Drop results whose final score is below this. @default 0 */
  minScore?: number;
  /** A precomputed query embedding (skips the embedder for the vector side). */
  queryEmbedding?: readonly number[] | Float32Array;
  /**
   * Graph-aware recall: entities named in the query seed a walk of the knowledge graph (both
   * directions, `depth` hops); memories linked to reached entities join the candidates, and
   * `relevance = (1 − weight)·base + weight·graph`. Omit for plain search.
   */
  graph?: GraphSearchOptions;
  /**
   * How hybrid mode fuses the two sides: `"weighted"` (α·vector + (1 − α)·keyword) or `"rrf"`
   * (reciprocal rank fusion, k = 60, scaled to [0, 1]). @default "weighted"
   */
  fusion?: "weighted" | "rrf";
  /** α, the vector side's weight in weighted fusion, in [0, 1]. @default 0.5 */
  vectorWeight?: number;
  /**
   * Session context: each memory is also scored by BM25 as one passage with the memories written
   * just before and after it in the same session (`window` on each side), and
   * `relevance = (1 − weight)·fused + weight·context`; the neighbours of the best keyword hits join the
   * candidates. Not used in vector mode. `false` turns it off.
   * @default { window: 3, weight: 0.35 } in hybrid mode; off in keyword mode unless given
   */
  neighbors?: NeighborSearchOptions | false;
  /**
   * Time expressions in the query ("on 29 Dec 2023", "in May", "last week", "2 days ago"),
   * resolved against `referenceTime`: with mode `"boost"` relevance is multiplied by
   * `(1 − weight) + weight·time` (time = 1 inside a named range, decaying outside), with `"filter"`
   * only memories created inside a named range match. The expressions are removed from the
   * keyword query. No effect when the query names no time. Off unless given (`time: {}` turns it on
   * with the defaults `{ mode: "boost", weight: 0.3, referenceTime: now }`): on REALTALK the named
   * times are mostly event times, not when the memory was written, and it buys nothing.
   */
  time?: TimeSearchOptions | false;
  /**
   * A length prior: relevance is multiplied by `(1 − weight) + weight·min(1, ln(1 + n) / ln(1 + terms))`,
   * n being the memory's number of index terms (words after stop words), so that among otherwise close
   * hits a memory with some substance beats a two-word reply. Off unless given (`lengthPrior: {}`
   * turns it on with the defaults `{ weight: 0.2, terms: 20 }`): it suits chat logs, where short turns
   * are rarely what a question asks for, less a store of short facts.
   */
  lengthPrior?: LengthPriorOptions | false;
}

/** Options of the length prior ({@link SearchOptions.lengthPrior}). */
export interface LengthPriorOptions {
  /** λ in [0, 1]: how much a memory with no index terms loses (a fraction of its relevance). @default 0.2 */
  weight?: number;
  /** The length, in index terms (1–1,000), from which a memory counts in full. @default 20 */
  terms?: number;
}

/** Options of the session-neighbour boost ({@link SearchOptions.neighbors}). */
export interface NeighborSearchOptions {
  /** Neighbours on each side, 1–5. @default 3 */
  window?: number;
  /** β in [0, 1]. @default 0.35 */
  weight?: number;
}

/** Options of query time expressions ({@link SearchOptions.time}). */
export interface TimeSearchOptions {
  /** @default "boost" */
  mode?: "boost" | "filter";
  /** τ in [0, 1] (boost mode). @default 0.3 */
  weight?: number;
  /** What "today", "last week", "2 days ago" are relative to. @default now (the engine clock) */
  referenceTime?: TimeInput;
}

/** The score breakdown of a search hit; every component is in [0, 1]. */
export interface ScoreBreakdown {
  /** Cosine similarity clipped to [0, 1]; 0 when the vector side did not find the memory. */
  vector: number;
  /** BM25 normalised by the best BM25 of the query; 0 when the keyword side did not find it. */
  keyword: number;
  /**
   * Graph proximity: max over the memory's linked entities of 1/(1 + hops from an entity named in the
   * query); 0 without `graph` or when the memory is not linked to a reached entity.
   */
  graph: number;
  /**
   * Session context: BM25 of the memory together with its session neighbours (as one passage),
   * normalised by the best among the candidates; 0 when the neighbour context is off or unused.
   */
  context: number;
  /** How well the creation time matches the time named in the query (1 inside); 0 when none is named. */
  time: number;
  /** The fused relevance before retention and recency. */
  relevance: number;
  /** The decay curve applied to the memory's age (for `recencyWeight`). */
  recency: number;
  /** The namespace's decay retention (1 without decay). */
  retention: number;
}

/**
 * How a memory that is no longer stored went: `details.removed` of a `MEMORY_NOT_FOUND` error from
 * `memory.get` (absent for an id never stored in the namespace).
 */
export interface MemoryRemovalInfo {
  /** `deleted` (an explicit delete), `evicted` (`maxMemories`) or `expired` (`expiresAt` passed). */
  reason: "deleted" | "evicted" | "expired";
  /** When (ISO 8601): the removal, or the expiry of a memory not yet purged. */
  at: string;
}

/** One search hit. */
export interface SearchResult {
  memory: Memory;
  /** The namespace the hit came from (useful when searching several). */
  namespace: string;
  score: number;
  scores: ScoreBreakdown;
}

/** Options of `memory.list`. */
export interface ListMemoriesOptions {
  namespace: string;
  sessionId?: string;
  filter?: Filter;
  /** An opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
  /** @default 50 (max 1000) */
  limit?: number;
}

/**
 * Options of `memory.deleteMany`: which memories of `namespace` to delete. Give at least one of `ids`,
 * `sessionId` and `filter`; a memory must match every one given. `filter: {}` matches every memory.
 */
export interface DeleteManyOptions {
  namespace: string;
  /** These ids (up to the batch size, 1,000 by default; ids not stored are skipped). */
  ids?: readonly string[];
  /** The memories of this session. */
  sessionId?: string;
  /** Memories whose metadata matches (the grammar of `list` and `search` filters). */
  filter?: Filter;
}

/** What `memory.deleteMany` removed. */
export interface DeleteManyResult {
  /** How many memories were deleted (each logged as `memory.deleted`, with its event). */
  deleted: number;
}

/** Options of `memory.count`: the selectors of `list`, without paging. */
export type CountMemoriesOptions = Pick<ListMemoriesOptions, "namespace" | "sessionId" | "filter">;

/** A page of results. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Fields of a memory that `memory.update` can change. */
export interface MemoryPatch {
  content?: string;
  metadata?: Metadata;
  importance?: number;
  expiresAt?: TimeInput | null;
  embedding?: readonly number[] | Float32Array;
}

/** Configuration accepted by `namespace.create` and `namespace.configure`. */
export type NamespaceConfigInput = Partial<Omit<NamespaceConfig, "embedding" | "vectorIndex">> & {
  /** Merged over the current parameters (or the defaults). */
  vectorIndex?: Partial<VectorIndexConfig>;
};

/** Namespace operations. */
export interface NamespaceApi {
  /** @throws {ConflictError} ALREADY_EXISTS */
  create(opts: { name: string; description?: string; config?: NamespaceConfigInput }): Promise<Namespace>;
  /** @throws {NotFoundError} NAMESPACE_NOT_FOUND */
  get(opts: { namespace: string }): Promise<Namespace>;
  list(opts?: { cursor?: string; limit?: number }): Promise<Page<Namespace>>;
  configure(opts: { namespace: string; description?: string } & NamespaceConfigInput): Promise<Namespace>;
  /** Deletes the namespace and everything in it. Returns false if it did not exist. */
  delete(opts: { namespace: string }): Promise<boolean>;
}

/** Memory operations. */
export interface MemoryApi {
  /** Adds one memory; creates the namespace on first use. Resolves once the write is durable. */
  add(opts: { namespace: string } & MemoryInput & AddOptions): Promise<Memory>;
  /** Alias of {@link MemoryApi.add}. */
  store(opts: { namespace: string } & MemoryInput & AddOptions): Promise<Memory>;
  /** Adds several memories atomically (all or none). */
  addMany(opts: { namespace: string; memories: readonly MemoryInput[] } & AddOptions): Promise<Memory[]>;
  /** @throws {NotFoundError} MEMORY_NOT_FOUND */
  get(opts: { namespace: string; id: string }): Promise<Memory>;
  /** Re-embeds when `content` changes. @throws {NotFoundError} MEMORY_NOT_FOUND */
  update(opts: { namespace: string; id: string } & MemoryPatch): Promise<Memory>;
  /** Returns false if there was no such memory. */
  delete(opts: { namespace: string; id: string }): Promise<boolean>;
  /** How many memories `list` would return for these selectors over all its pages (expired ones are not counted). */
  count(opts: CountMemoriesOptions): Promise<number>;
  /**
   * Deletes the memories matching ids, a session and/or a metadata filter (see {@link DeleteManyOptions}):
   * those matching when the call starts, in transactions of up to 1,000 (one, atomic, for `ids`).
   */
  deleteMany(opts: DeleteManyOptions): Promise<DeleteManyResult>;
  list(opts: ListMemoriesOptions): Promise<Page<Memory>>;
  search(opts: SearchOptions): Promise<SearchResult[]>;
  /** Alias of search with `topK` as the limit. */
  recall(opts: Omit<SearchOptions, "limit"> & { topK?: number }): Promise<SearchResult[]>;
}

/** A session: one unit of work (a ticket, a pipeline run) inside a namespace. */
export interface Session {
  id: string;
  namespace: string;
  metadata: Metadata;
  createdAt: string;
  endedAt: string | null;
  /** Memories currently stored with this session. */
  memoryCount: number;
}

/** Options of `session.list`. */
export interface ListSessionsOptions {
  namespace: string;
  /** @default "all" */
  status?: "active" | "ended" | "all";
  /** A metadata filter over the session's metadata. */
  filter?: Filter;
  cursor?: string;
  /** @default 50 (max 1000) */
  limit?: number;
}

/** Session operations. */
export interface SessionApi {
  /** Creates a session (the namespace too, on first use). `id` defaults to a UUIDv7. */
  create(opts: { namespace: string; metadata?: Metadata; id?: string }): Promise<Session>;
  /** @throws {NotFoundError} SESSION_NOT_FOUND */
  get(opts: { namespace: string; id: string }): Promise<Session>;
  list(opts: ListSessionsOptions): Promise<Page<Session>>;
  /** Ends a session (idempotent); later adds to it fail with SESSION_ENDED. */
  end(opts: { namespace: string; id: string }): Promise<Session>;
}

/** Types of events (the durable per-namespace change log). */
export type LociEventType =
  | "memory.added"
  | "memory.updated"
  | "memory.deleted"
  | "memory.evicted"
  | "memory.expired"
  | "session.created"
  | "session.ended"
  | "entity.added"
  | "entity.updated"
  | "entity.removed"
  | "edge.added"
  | "edge.updated"
  | "edge.removed";

/** One event. `seq` is strictly increasing per namespace; pass the last one seen as `since` to resume. */
export interface LociEvent {
  seq: number;
  namespace: string;
  type: LociEventType;
  /**
   * The memory or session id; for graph events the entity key (`type:folded name`) or the edge id
   * (`<source key> -<edge type>-> <target key>`).
   */
  id: string;
  at: string;
  /**
   * Provenance of memory events (`sessionId`, `agentId`), a session's `metadata`, an entity's
   * `{ type, name, properties }`, or an edge's `{ source, target, edgeType, metadata }`.
   */
  data: Metadata | null;
}

/** Options of `events.subscribe`. */
export interface SubscribeOptions {
  namespace: string;
  /** Only these event types. */
  types?: readonly LociEventType[];
  /** Replay every event after this seq first (0 = from the beginning); omitted = only new events. */
  since?: number;
}

/** A live subscription. */
export interface Subscription {
  /** Stops delivery. */
  unsubscribe(): void;
}

/** Event operations. */
export interface EventsApi {
  /**
   * Calls `handler` for every event of a namespace, in order, exactly once, after the write that
   * produced it is durable. A handler that throws does not affect writers or other subscribers.
   */
  subscribe(
    opts: SubscribeOptions,
    handler: (event: LociEvent) => void | Promise<void>,
  ): Promise<Subscription>;
  /**
   * The same events as an async iterator (`for await … of`); leaving the loop or aborting `signal`
   * unsubscribes.
   */
  stream(opts: SubscribeOptions & { signal?: AbortSignal }): AsyncIterable<LociEvent>;
}

/**
 * The client interface: implemented by the embedded engine (`Loci.open`) and by the HTTP client.
 */
export interface MemoryClient {
  readonly namespace: NamespaceApi;
  readonly memory: MemoryApi;
  readonly session: SessionApi;
  readonly events: EventsApi;
  readonly knowledgeGraph: KnowledgeGraphApi;
  /** Flushes and releases everything. Further calls fail with `CLOSED`. */
  close(): Promise<void>;
}
