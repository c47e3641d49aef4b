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
 *
 * @module
 */
import type { Metadata, NamespaceConfig } from "../types.js";

/** A namespace row in the catalog. Times are epoch milliseconds. */
export interface NamespaceRecord {
  name: string;
  description: string;
  config: NamespaceConfig;
  createdAt: number;
  updatedAt: number;
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
}

/** A memory to insert (the driver assigns `seq`). */
export type NewMemoryRecord = Omit<MemoryRecord, "seq" | "embedding"> & { embedding: Float32Array };

/** Changes `update` can make to a memory. */
export interface MemoryRecordPatch {
  content?: string;
  metadata?: Metadata;
  importance?: number;
  expiresAt?: number | null;
  embedding?: Float32Array;
  updatedAt: number;
}

/** Kinds of change-log entries (the durable per-namespace event log). */
export type ChangeType =
  | "memory.added"
  | "memory.updated"
  | "memory.deleted"
  | "memory.evicted"
  | "memory.expired"
  | "session.created"
  | "session.ended";

/** One change-log entry. */
export interface ChangeRecord {
  /** The generation this change produced (strictly increasing, gap-free per namespace). */
  generation: number;
  type: ChangeType;
  /** The memory or session id. */
  subjectId: string;
  /** The memory's seq (0 for session changes). */
  subjectSeq: number;
  at: number;
  /** Extra data recorded with the change (e.g. `sessionId`, `agentId` of a memory). */
  payload: Metadata | null;
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
}

/** What {@link NamespaceStore.insert} wrote. */
export interface InsertResult {
  inserted: MemoryRecord[];
  /** Evicted memories (without embeddings). */
  evicted: MemoryRecord[];
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
  /** A directory where derived-index snapshots may be written, or `null` if the driver has none. */
  readonly snapshotDir: string | null;
  /** The newest change-log generation (0 for an empty namespace). */
  generation(): Promise<number>;
  /** Number of stored memories. */
  count(): Promise<number>;
  /**
   * Inserts records atomically and appends `memory.added` changes; records with a `sessionId` count
   * towards that session. Nothing is written when any check fails.
   * @throws {ConflictError} ALREADY_EXISTS when an id is taken.
   * @throws {NotFoundError} SESSION_NOT_FOUND when a record names an unknown session.
   * @throws {ConflictError} SESSION_ENDED when a record names an ended session.
   */
  insert(records: readonly NewMemoryRecord[], opts?: InsertOptions): Promise<InsertResult>;
  /** Updates one memory and appends `memory.updated`; `null` when the id does not exist. */
  update(id: string, patch: MemoryRecordPatch): Promise<MemoryRecord | null>;
  /**
   * Deletes memories and appends a `reason` change for each (default `memory.deleted`); returns the
   * deleted ones (without embeddings).
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
  /** Memories in ascending `seq` order, a page at a time. */
  scan(opts: ScanOptions): Promise<MemoryRecord[]>;
  /** Change-log entries newer than `generation`, oldest first. */
  changesSince(generation: number, limit?: number): Promise<ChangeRecord[]>;
  /** Records an access (search hit) for each seq: sets `lastAccessedAt` and increments `accessCount`. */
  touch(seqs: readonly number[], at: number): Promise<void>;
  /** Creates a session and appends `session.created`. @throws {ConflictError} ALREADY_EXISTS */
  createSession(session: { id: string; metadata: Metadata; createdAt: number }): Promise<SessionRecord>;
  getSession(id: string): Promise<SessionRecord | null>;
  /** Sessions in creation order after `afterSeq`, a page at a time. */
  listSessions(opts: { afterSeq?: number; limit: number }): Promise<SessionRecord[]>;
  /** Ends a session and appends `session.ended`; an ended session is returned unchanged; `null` if unknown. */
  endSession(id: string, at: number): Promise<SessionRecord | null>;
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
  /** Closes every open handle. */
  close(): Promise<void>;
}
