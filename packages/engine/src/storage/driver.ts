/**
 * The storage driver contract: the durable source of truth.
 *
 * A driver stores a catalog of namespaces and, per namespace, memories (with their embeddings) and an
 * append-only change log. Derived indexes (ANN, BM25) are built by the engine from what the driver
 * returns, and caught up from the change log. Every implementation (`sqlite.ts`, later `postgres.ts`)
 * passes the shared suite in `driver.case.ts`.
 *
 * Contract rules every driver keeps:
 * - A returned promise of a write resolves only once the write is durable (committed and synced).
 * - A multi-record write is atomic: all records or none.
 * - `seq` is assigned by the driver, unique and strictly increasing within a namespace, never reused.
 * - Every write appends change-log entries in the same transaction; `generation()` is the seq of the
 *   newest entry, so a derived index that saw generation G can catch up with `changesSince(G)`.
 * - Deleting a memory (delete, eviction, expiry) removes its entity links and sentence vectors in the
 *   same transaction.
 *
 * @module
 */
import type { LociEventType, Metadata, NamespaceConfig } from "../types.js";

/** A namespace row in the catalog. Times are epoch milliseconds. */
export interface NamespaceRecord {
  name: string;
  description: string;
  config: NamespaceConfig;
  createdAt: number;
  updatedAt: number;
}

/**
 * An entity reference as stored: `key` is the entity's identity (computed by the engine from the type
 * and the folded name, see `engine/graph-model.ts`), `name` the display name used when the entity is
 * created.
 */
export interface EntityLink {
  key: string;
  type: string;
  name: string;
}

/** A memory row. Times are epoch milliseconds. */
export interface MemoryRecord {
  /** Driver-assigned, strictly increasing, never reused: the label of the memory in derived indexes. */
  seq: number;
  id: string;
  content: string;
  metadata: Metadata;
  sessionId: string | null;
  agentId: string | null;
  importance: number;
  createdAt: number;
  updatedAt: number;
  lastAccessedAt: number;
  accessCount: number;
  expiresAt: number | null;
  /** Present when requested (`withEmbeddings`), otherwise `null`. */
  embedding: Float32Array | null;
  /** The entities the memory is linked to (with their stored display names), in key order. */
  entities: EntityLink[];
}

/**
 * A memory to insert (the driver assigns `seq`). `entities` links it to knowledge-graph entities,
 * creating missing ones in the same transaction.
 */
export type NewMemoryRecord = Omit<MemoryRecord, "seq" | "embedding" | "entities"> & {
  embedding: Float32Array;
  entities?: readonly EntityLink[];
  /** Vectors of the memory's sentences (namespaces with `sentenceVectors`), stored with it. */
  sentenceEmbeddings?: readonly Float32Array[];
};

/**
 * Progress of a namespace's sentence-vector backfill (the engine's `sentence-backfill.ts`): memories
 * with `after < seq ≤ through` are still to be given sentence vectors.
 */
export interface SentenceBackfillState {
  after: number;
  through: number;
  /**
   * The engine working on it until `until` (epoch ms, wall clock): on shared storage the others wait
   * for the lease to end instead of embedding the same page.
   */
  lease?: { holder: string; until: number };
}

/** Sentence vectors a backfill computed for one memory from the text it read. */
export interface SentenceFill {
  seq: number;
  /** The memory's `content` and `updatedAt` as read: the vectors are stored only while both still match. */
  content: string;
  updatedAt: number;
  vectors: readonly Float32Array[];
}

/** Changes `update` can make to a memory. */
export interface MemoryRecordPatch {
  content?: string;
  metadata?: Metadata;
  importance?: number;
  expiresAt?: number | null;
  embedding?: Float32Array;
  /** Replaces the memory's sentence vectors (`[]` removes them). */
  sentenceEmbeddings?: readonly Float32Array[];
  updatedAt: number;
}

/** Kinds of change-log entries: the event types of the durable per-namespace event log. */
export type ChangeType = LociEventType;

/** One change-log entry. */
export interface ChangeRecord {
  /** The generation this change produced (strictly increasing, gap-free per namespace). */
  generation: number;
  type: ChangeType;
  /** The memory or session id, the entity key, or the edge id (`<source key> -<type>-> <target key>`). */
  subjectId: string;
  /** The memory's seq (0 for session and graph changes). */
  subjectSeq: number;
  at: number;
  /** Extra data recorded with the change (e.g. `sessionId`, `agentId` of a memory). */
  payload: Metadata | null;
}

/** The change types that remove a memory. */
export const REMOVAL_TYPES = ["memory.deleted", "memory.evicted", "memory.expired"] as const;
/** The removal types as an SQL list (`'memory.deleted', …`): the SQL drivers' partial indexes and queries. */
export const REMOVAL_SQL = REMOVAL_TYPES.map((t) => `'${t}'`).join(", ");

/** How and when a memory was removed (see {@link NamespaceStore.removals}). */
export interface MemoryRemoval {
  type: (typeof REMOVAL_TYPES)[number];
  /** Epoch milliseconds of the removal. */
  at: number;
}

/** A session row. Times are epoch milliseconds. */
export interface SessionRecord {
  /** Driver-assigned ordering key (creation order). */
  seq: number;
  id: string;
  metadata: Metadata;
  createdAt: number;
  endedAt: number | null;
  /** Memories currently stored with this session id (kept in the same transaction as memory writes). */
  memoryCount: number;
}

/** Options of {@link NamespaceStore.insert}. */
export interface InsertOptions {
  /**
   * Ids to evict in the same transaction, after the insert (retention pruning). They may include ids
   * of the records being inserted. Each produces a `memory.evicted` change.
   */
  evict?: readonly string[];
  /**
   * Ids (of the records inserted) that must never have been removed: when the change log holds a
   * removal of one of them, the insert fails with `MEMORY_REMOVED` (see `removed-ids.ts`) and writes nothing.
   * Checked in the insert's transaction, after the `ALREADY_EXISTS` check.
   */
  refuseRemoved?: readonly string[];
}

/** What {@link NamespaceStore.insert} wrote. */
export interface InsertResult {
  inserted: MemoryRecord[];
  /** Evicted memories (without embeddings). */
  evicted: MemoryRecord[];
  /** Entities the insert created because a record linked to them (each logged as `entity.added`). */
  createdEntities: EntityRecord[];
}

/** A knowledge-graph entity row. Times are epoch milliseconds. */
export interface EntityRecord extends EntityLink {
  properties: Metadata;
  createdAt: number;
  updatedAt: number;
}

/** A knowledge-graph edge row: one per (source, target, edge type). Times are epoch milliseconds. */
export interface EdgeRecord {
  sourceKey: string;
  targetKey: string;
  edgeType: string;
  metadata: Metadata;
  createdAt: number;
  updatedAt: number;
}

/** An entity to create or merge into (properties are shallow-merged, new keys win). */
export interface EntityUpsert {
  entity: EntityLink;
  properties: Metadata;
  /** Timestamps when the entity is new (imports). @default the write's `at` */
  createdAt?: number;
  updatedAt?: number;
}

/** An edge to create or merge into (metadata is shallow-merged, new keys win). */
export interface EdgeUpsert {
  source: EntityLink;
  target: EntityLink;
  edgeType: string;
  metadata: Metadata;
  /** Timestamps when the edge is new (imports). @default the write's `at` */
  createdAt?: number;
  updatedAt?: number;
}

/** What {@link NamespaceStore.upsertGraph} wrote. */
export interface GraphUpsertResult {
  /** Per input entity, its state after that upsert. */
  entities: EntityRecord[];
  /** Per input edge, its state after that upsert. */
  edges: EdgeRecord[];
  /** Entities created implicitly as edge endpoints. */
  createdEntities: EntityRecord[];
  /** How many entities and edges were created or actually changed (a no-op merge counts 0). */
  changed: { entities: number; edges: number };
}

/** What {@link NamespaceStore.removeEntity} removed. */
export interface EntityRemoval {
  entity: EntityRecord;
  /** Its edges (in and out), each logged as `edge.removed` before the `entity.removed`. */
  edges: EdgeRecord[];
  /** Memories that were linked to it (the links are gone; the memories stay). */
  memorySeqs: number[];
}

/** A namespace's whole knowledge graph, as loaded into memory. */
export interface GraphData {
  entities: EntityRecord[];
  edges: EdgeRecord[];
  /** Memory → entity links as `[memory seq, entity key]`. */
  links: [number, string][];
}

/** Options of {@link NamespaceStore.scan}. */
export interface ScanOptions {
  /** Return memories with `seq` greater than this. @default 0 */
  afterSeq?: number;
  /** Page size. */
  limit: number;
  /** Include embeddings. @default false */
  withEmbeddings?: boolean;
}

/** The storage of one namespace. Obtained from {@link StorageDriver.openNamespace}. */
export interface NamespaceStore {
  /** The namespace name. */
  readonly name: string;
  /**
   * A directory where derived-index snapshots may be written, or `null` if the driver has none. It
   * belongs to this namespace alone: a namespace deleted and created again gets another one (or an
   * emptied one), since a snapshot is caught up from the change log of the namespace it was taken of.
   */
  readonly snapshotDir: string | null;
  /**
   * When set (encrypted storage), snapshots must be stored encrypted under this 32-byte key, and their
   * plaintext may only pass through RAM (see the engine's `index/snapshot-cipher.ts`).
   */
  readonly snapshotKey: Buffer | null;
  /** The newest change-log generation (0 for an empty namespace). */
  generation(): Promise<number>;
  /** Number of stored memories. */
  count(): Promise<number>;
  /**
   * Inserts records atomically and appends `memory.added` changes; records with a `sessionId` count
   * towards that session; records with `entities` are linked to them (missing entities are created,
   * `entity.added`). Nothing is written when any check fails.
   * @throws {ConflictError} ALREADY_EXISTS when an id is taken.
   * @throws {ConflictError} MEMORY_REMOVED when an id of `opts.refuseRemoved` was removed before.
   * @throws {NotFoundError} SESSION_NOT_FOUND when a record names an unknown session.
   * @throws {ConflictError} SESSION_ENDED when a record names an ended session.
   */
  insert(records: readonly NewMemoryRecord[], opts?: InsertOptions): Promise<InsertResult>;
  /** Updates one memory and appends `memory.updated`; `null` when the id does not exist. */
  update(id: string, patch: MemoryRecordPatch): Promise<MemoryRecord | null>;
  /**
   * Deletes memories (and their entity links) and appends a `reason` change for each (default
   * `memory.deleted`); returns the deleted ones (without embeddings, with the links they had).
   */
  delete(
    ids: readonly string[],
    at: number,
    reason?: "memory.deleted" | "memory.expired",
  ): Promise<MemoryRecord[]>;
  /** Memories by id (missing ids are skipped), in the order asked. */
  get(ids: readonly string[], opts?: { withEmbeddings?: boolean }): Promise<MemoryRecord[]>;
  /** Memories by seq (missing seqs are skipped), in the order asked. */
  getBySeq(seqs: readonly number[], opts?: { withEmbeddings?: boolean }): Promise<MemoryRecord[]>;
  /** The embeddings of the given memories by seq (missing seqs are skipped). */
  getEmbeddings(seqs: readonly number[]): Promise<Map<number, Float32Array>>;
  /**
   * The sentence vectors of the given memories by seq, in sentence order (memories stored without
   * any are skipped). Deleting a memory removes them in the same transaction.
   */
  getSentenceEmbeddings(seqs: readonly number[]): Promise<Map<number, Float32Array[]>>;
  /**
   * Stores sentence vectors computed by a backfill, in one transaction. An entry is skipped when its
   * memory is gone, already has sentence vectors, or no longer has the `content` and `updatedAt` they
   * were computed from (a newer write owns its vectors). Logs no change: the memory itself does not
   * change. Returns the seqs written.
   */
  fillSentenceEmbeddings(entries: readonly SentenceFill[]): Promise<number[]>;
  /** The namespace's pending sentence-vector backfill, or `null` (stored with the namespace, not logged). */
  sentenceBackfill(): Promise<SentenceBackfillState | null>;
  /**
   * Records the backfill's progress durably (`null`: none pending). Logs no change. With `expected`
   * it writes only while the stored state is still that one (compare-and-set, atomic across the
   * processes sharing the storage). Resolves to whether it wrote.
   */
  setSentenceBackfill(
    state: SentenceBackfillState | null,
    opts?: { expected: SentenceBackfillState | null },
  ): Promise<boolean>;
  /** Memories in ascending `seq` order, a page at a time. */
  scan(opts: ScanOptions): Promise<MemoryRecord[]>;
  /** Change-log entries newer than `generation`, oldest first. */
  changesSince(generation: number, limit?: number): Promise<ChangeRecord[]>;
  /**
   * The latest removal (`memory.deleted`, `memory.evicted` or `memory.expired` change) of each of `ids`
   * that was ever removed, whether or not a memory with that id was added again since. An indexed
   * lookup: the change log keeps removals for good, so this answers "why is it gone" at any age.
   */
  removals(ids: readonly string[]): Promise<Map<string, MemoryRemoval>>;
  /** Records an access (search hit) for each seq: sets `lastAccessedAt` and increments `accessCount`. */
  touch(seqs: readonly number[], at: number): Promise<void>;
  /** Creates a session and appends `session.created`. @throws {ConflictError} ALREADY_EXISTS */
  createSession(session: { id: string; metadata: Metadata; createdAt: number }): Promise<SessionRecord>;
  getSession(id: string): Promise<SessionRecord | null>;
  /** Sessions in creation order after `afterSeq`, a page at a time. */
  listSessions(opts: { afterSeq?: number; limit: number }): Promise<SessionRecord[]>;
  /** Ends a session and appends `session.ended`; an ended session is returned unchanged; `null` if unknown. */
  endSession(id: string, at: number): Promise<SessionRecord | null>;
  /**
   * Upserts entities, then edges, in one transaction. A missing entity (an input entity or an edge
   * endpoint) is created with the given display name (`entity.added`); an existing one keeps its name
   * and gets the properties merged (`entity.updated`, only if they changed). An edge is identified by
   * (source key, target key, edge type): a new one logs `edge.added`, a merge that changes the metadata
   * logs `edge.updated`, a merge that changes nothing writes and logs nothing.
   */
  upsertGraph(
    input: { entities?: readonly EntityUpsert[]; edges?: readonly EdgeUpsert[] },
    at: number,
  ): Promise<GraphUpsertResult>;
  /** Removes edges (logging `edge.removed` for each that existed); returns the removed ones. */
  removeEdges(
    edges: readonly { sourceKey: string; targetKey: string; edgeType: string }[],
    at: number,
  ): Promise<EdgeRecord[]>;
  /** Removes an entity with its edges and memory links; `null` if unknown. */
  removeEntity(key: string, at: number): Promise<EntityRemoval | null>;
  /** The whole knowledge graph (entities, edges, memory links). */
  loadGraph(): Promise<GraphData>;
}

/** A storage backend. */
export interface StorageDriver {
  /** A short name for logs and errors ("sqlite", "postgres"). */
  readonly kind: string;
  /** @throws {ConflictError} ALREADY_EXISTS */
  createNamespace(record: NamespaceRecord): Promise<void>;
  getNamespace(name: string): Promise<NamespaceRecord | null>;
  /** All namespaces, sorted by name. */
  listNamespaces(): Promise<NamespaceRecord[]>;
  /** Replaces description, config and updatedAt. @throws {NotFoundError} NAMESPACE_NOT_FOUND */
  updateNamespace(record: NamespaceRecord): Promise<void>;
  /** Deletes a namespace and all its data. Returns false if it did not exist. */
  deleteNamespace(name: string): Promise<boolean>;
  /** Opens (or returns the open) storage of an existing namespace. @throws {NotFoundError} */
  openNamespace(name: string): Promise<NamespaceStore>;
  /**
   * Lets go of an open namespace's resources (its file handles): the engine closed its use of it to
   * stay within `maxOpenNamespaces`. The store returned before must not be used again; the next
   * {@link openNamespace} opens it afresh, with everything committed. A no-op for a namespace not
   * open. Drivers without per-namespace resources leave it out.
   */
  releaseNamespace?(name: string): Promise<void>;
  /** Closes every open handle. */
  close(): Promise<void>;
  /**
   * True when other processes may write this storage at the same time (the PostgreSQL driver): the
   * engine must then not treat its in-memory state as complete, and should follow the change log
   * (see {@link StorageDriver.subscribeChanges}). Absent or false: this process is the only writer.
   */
  readonly shared?: boolean;
  /**
   * Optional: subscribes to committed writes by any process. `listener(namespace, generation)` is
   * called after a write to `namespace` commits (namespace create, update and delete included), with
   * the namespace's newest generation; a caller
   * that has seen generation G catches up with `changesSince(G)`. Notifications may be coalesced or
   * (during a reconnect) missed, but after a reconnect every namespace's current generation is
   * reported again; a generation lower than one seen before means the namespace was deleted or
   * re-created. Resolves once the subscription is live; the returned function unsubscribes.
   */
  subscribeChanges?(listener: (namespace: string, generation: number) => void): Promise<() => Promise<void>>;
}
