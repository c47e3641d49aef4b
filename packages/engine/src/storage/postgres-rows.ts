/**
 * Value codecs and row mapping of the PostgreSQL driver.
 *
 * Postgres `text` and `jsonb` cannot hold U+0000, which JS strings (and the SQLite driver) can. Every
 * stored string that contains U+0000 or the escape character U+E000 is therefore escaped reversibly:
 * U+E000 → U+E000 U+E000 and U+0000 → U+E000 U+E001. Strings without them (virtually all) are stored
 * as they are, so SQL over them (filters, full text) is unaffected.
 *
 * @module
 */
import pg from "pg";
import type { Metadata } from "../types.js";
import type { ChangeRecord, ChangeType, EntityLink, MemoryRecord, SessionRecord } from "./driver.js";

const ESC = "\uE000";
const NUL = "\u0000";
const ESCAPED = /\uE000([\uE000\uE001])/g;
const needsEscape = (s: string) => s.includes(NUL) || s.includes(ESC);

/** Escapes a string for storage (identity unless it holds U+0000 or U+E000). */
export function escapeText(s: string): string {
  if (!needsEscape(s)) return s;
  return s.replaceAll(ESC, `${ESC}${ESC}`).replaceAll(NUL, `${ESC}\uE001`);
}

/** Reverses {@link escapeText}. */
export function unescapeText(s: string): string {
  if (!s.includes(ESC)) return s;
  return s.replace(ESCAPED, (_, c: string) => (c === ESC ? ESC : "\u0000"));
}

/** Maps every string and key of a JSON value (keeping `__proto__` an own data key). */
function mapJson(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === "string") return f(v);
  if (Array.isArray(v)) return v.map((x) => mapJson(x, f));
  if (typeof v === "object" && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      Object.defineProperty(out, f(k), {
        value: mapJson(x, f),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return v;
}

/** A JSON value as the text of a `jsonb` parameter (escaped). */
export function jsonParam(value: unknown): string {
  const text = JSON.stringify(value);
  return text.includes(ESC) || text.includes("\\u0000") ? JSON.stringify(mapJson(value, escapeText)) : text;
}

/** Parses stored `jsonb` text (unescaping). */
function parseJsonb(text: string): unknown {
  const value = JSON.parse(text) as unknown;
  return text.includes(ESC) ? mapJson(value, unescapeText) : value;
}

const INT8 = 20;
const JSONB = 3802;

/** Per-pool type parsers: `bigint` as number (seqs and epoch ms stay far below 2^53), `jsonb` unescaped. */
export const PG_TYPES = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (format !== "binary") {
      if (oid === INT8) return (v: string) => Number(v);
      if (oid === JSONB) return parseJsonb;
    }
    return pg.types.getTypeParser(oid, format ?? "text");
  },
} as pg.CustomTypesConfig;

/** A vector as pgvector text (`[1,2,3]`). */
export function vectorParam(v: Float32Array): string {
  return `[${v.join(",")}]`;
}

/**
 * A vector column selected in pgvector's binary form (`vector_send`): 4 bytes per dimension instead
 * of ~10 characters of text, and ~7× faster to decode (11 µs against 79 µs for 512 dimensions).
 */
export function vectorColumn(expr: string): string {
  return `vector_send(${expr})`;
}

/** pgvector's binary form (int16 dimensions, int16 unused, big-endian float4s) → Float32Array. */
export function parseVector(bytes: Buffer): Float32Array {
  const dims = bytes.readUInt16BE(0);
  if (bytes.length !== 4 + 4 * dims) {
    throw new Error(`a pgvector value of ${bytes.length} bytes cannot hold ${dims} dimensions`);
  }
  const out = new Float32Array(dims);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < dims; i++) out[i] = view.getFloat32(4 + 4 * i);
  return out;
}

/** The memory columns selected by default (`m` is the memories table alias). */
export const MEMORY_COLUMNS =
  "m.seq, m.id, m.content, m.metadata, m.session_id, m.agent_id, m.importance, m.created_at, m.updated_at, m.last_accessed_at, m.access_count, m.expires_at";

/** A row of a memories table, with its entity links aggregated as `[key, type, name]` triples. */
export interface MemoryRow {
  seq: number;
  id: string;
  content: string;
  metadata: Metadata;
  session_id: string | null;
  agent_id: string | null;
  importance: number;
  created_at: number;
  updated_at: number;
  last_accessed_at: number;
  access_count: number;
  expires_at: number | null;
  embedding?: Buffer;
  entities?: [string, string, string][] | null;
}

export function toMemory(row: MemoryRow): MemoryRecord {
  return {
    seq: row.seq,
    id: row.id,
    content: unescapeText(row.content),
    metadata: row.metadata,
    sessionId: row.session_id,
    agentId: row.agent_id,
    importance: row.importance,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastAccessedAt: row.last_accessed_at,
    accessCount: row.access_count,
    expiresAt: row.expires_at,
    embedding: row.embedding ? parseVector(row.embedding) : null,
    entities: (row.entities ?? []).map(([key, type, name]): EntityLink => ({ key, type, name })),
  };
}

export interface ChangeRow {
  generation: number;
  type: ChangeType;
  subject_id: string;
  subject_seq: number;
  at: number;
  payload: Metadata | null;
}

export function toChange(r: ChangeRow): ChangeRecord {
  return {
    generation: r.generation,
    type: r.type,
    subjectId: r.subject_id,
    subjectSeq: r.subject_seq,
    at: r.at,
    payload: r.payload,
  };
}

export interface SessionRow {
  seq: number;
  id: string;
  metadata: Metadata;
  created_at: number;
  ended_at: number | null;
  memory_count: number;
}

export function toSession(r: SessionRow): SessionRecord {
  return {
    seq: r.seq,
    id: r.id,
    metadata: r.metadata,
    createdAt: r.created_at,
    endedAt: r.ended_at,
    memoryCount: r.memory_count,
  };
}

/** Deep JSON equality (object keys in any order), for "did a merge change anything". */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every(
    (k) =>
      Object.hasOwn(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

/** A pool or a client. */
export type Queryable = pg.Pool | pg.ClientBase;

/**
 * Runs a parameterised query with the driver's type parsers (set per query, so a pool handed in by
 * the application needs no special configuration).
 */
export function run<R extends pg.QueryResultRow = pg.QueryResultRow>(
  db: Queryable,
  text: string,
  values?: unknown[],
): Promise<pg.QueryResult<R>> {
  return db.query<R>({ text, values, types: PG_TYPES });
}
