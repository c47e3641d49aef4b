/**
 * Row mapping for the memories table of a namespace database (used by {@link SqliteNamespaceStore}).
 *
 * @module
 */
import { type MemoryRecord, REMOVAL_SQL } from "./driver.js";

export const MEMORIES_SCHEMA = `
CREATE TABLE IF NOT EXISTS memories (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  content TEXT NOT NULL,
  metadata TEXT NOT NULL,
  session_id TEXT,
  agent_id TEXT,
  importance REAL NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_accessed_at INTEGER NOT NULL,
  access_count INTEGER NOT NULL DEFAULT 0,
  expires_at INTEGER
);
CREATE INDEX IF NOT EXISTS memories_session ON memories(session_id, seq);
CREATE TABLE IF NOT EXISTS changes (
  generation INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  subject_seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  payload TEXT
);
CREATE INDEX IF NOT EXISTS changes_removals ON changes(subject_id, generation)
  WHERE type IN (${REMOVAL_SQL});
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/** The memory columns (embeddings live in `memory_vectors`, see `sqlite-vectors.ts`). */
export const COLUMNS =
  "seq, id, content, metadata, session_id, agent_id, importance, created_at, updated_at, last_accessed_at, access_count, expires_at";

/** Float32Array → BLOB (no copy). */
export function vectorToBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** BLOB → Float32Array (copied, so it is aligned and owned). */
export function blobToVector(b: Buffer): Float32Array {
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

/**
 * The values of a row of {@link COLUMNS}, in that order (statements run in raw mode, which skips
 * building a keyed object per row: half the cost of reading a search's hits), as a record; the store
 * fills in the embedding when asked for, and the entity links.
 */
export function valuesToRecord(v: readonly unknown[]): MemoryRecord {
  return {
    seq: v[0] as number,
    id: v[1] as string,
    content: v[2] as string,
    metadata: JSON.parse(v[3] as string),
    sessionId: v[4] as string | null,
    agentId: v[5] as string | null,
    importance: v[6] as number,
    createdAt: v[7] as number,
    updatedAt: v[8] as number,
    lastAccessedAt: v[9] as number,
    accessCount: v[10] as number,
    expiresAt: v[11] as number | null,
    embedding: null,
    entities: [],
  };
}

const CHUNK = 500;

/** Splits keys into chunks small enough for one `IN (…)` list. */
export function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}
