/**
 * The sessions table of a namespace database (used by {@link SqliteNamespaceStore}).
 *
 * @module
 */
import type BetterSqlite3 from "better-sqlite3-multiple-ciphers";
import { ConflictError, NotFoundError } from "../errors.js";
import type { Metadata } from "../types.js";
import type { SessionRecord } from "./driver.js";

export const SESSIONS_SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  metadata TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  ended_at INTEGER,
  memory_count INTEGER NOT NULL DEFAULT 0
);`;

interface SessionRow {
  seq: number;
  id: string;
  metadata: string;
  created_at: number;
  ended_at: number | null;
  memory_count: number;
}

function toSession(row: SessionRow): SessionRecord {
  return {
    seq: row.seq,
    id: row.id,
    metadata: JSON.parse(row.metadata) as Metadata,
    createdAt: row.created_at,
    endedAt: row.ended_at,
    memoryCount: row.memory_count,
  };
}

/** Synchronous session operations; callers wrap them in transactions and the change log. */
export class SqliteSessions {
  readonly #db: BetterSqlite3.Database;
  readonly #get: BetterSqlite3.Statement;
  readonly #count: BetterSqlite3.Statement;

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
    db.exec(SESSIONS_SCHEMA);
    this.#get = db.prepare("SELECT * FROM sessions WHERE id = ?");
    this.#count = db.prepare("UPDATE sessions SET memory_count = memory_count + ? WHERE id = ?");
  }

  get(id: string): SessionRecord | null {
    const row = this.#get.get(id) as SessionRow | undefined;
    return row ? toSession(row) : null;
  }

  /** Checks that a session exists and is active (inside a write transaction). */
  assertWritable(id: string): void {
    const s = this.get(id);
    if (!s) throw new NotFoundError({ code: "SESSION_NOT_FOUND", message: `session "${id}" not found` });
    if (s.endedAt !== null) {
      throw new ConflictError({ code: "SESSION_ENDED", message: `session "${id}" has ended` });
    }
  }

  /** Adds `delta` to a session's memory count. */
  count(id: string, delta: number): void {
    this.#count.run(delta, id);
  }

  create(session: { id: string; metadata: Metadata; createdAt: number }): SessionRecord {
    const info = this.#db
      .prepare("INSERT INTO sessions (id, metadata, created_at) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING")
      .run(session.id, JSON.stringify(session.metadata), session.createdAt);
    if (info.changes === 0) {
      throw new ConflictError({ code: "ALREADY_EXISTS", message: `session "${session.id}" already exists` });
    }
    return this.get(session.id)!;
  }

  list(afterSeq: number, limit: number): SessionRecord[] {
    const rows = this.#db
      .prepare("SELECT * FROM sessions WHERE seq > ? ORDER BY seq LIMIT ?")
      .all(afterSeq, limit) as SessionRow[];
    return rows.map(toSession);
  }

  /** Ends a session; returns it, and whether this call ended it. */
  end(id: string, at: number): { session: SessionRecord; ended: boolean } | null {
    const s = this.get(id);
    if (!s) return null;
    if (s.endedAt !== null) return { session: s, ended: false };
    this.#db.prepare("UPDATE sessions SET ended_at = ? WHERE id = ?").run(at, id);
    return { session: { ...s, endedAt: at }, ended: true };
  }
}
