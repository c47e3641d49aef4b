/**
 * Sessions of a PostgreSQL namespace (used by {@link PostgresNamespaceStore}): rows of the shared
 * `sessions` table keyed by `ns_id`; writes run inside the namespace's write transaction.
 *
 * @module
 */
import type pg from "pg";
import { ConflictError, NotFoundError } from "../errors.js";
import type { Metadata } from "../types.js";
import type { SessionRecord } from "./driver.js";
import { jsonParam, run, type SessionRow, toSession } from "./postgres-rows.js";
import type { WriteTx } from "./postgres-tx.js";

const COLUMNS = "seq, id, metadata, created_at, ended_at, memory_count";

/** Session operations of one namespace. */
export class PostgresSessions {
  constructor(
    readonly schema: string,
    readonly nsId: number,
  ) {}

  async get(db: pg.Pool | pg.ClientBase, id: string): Promise<SessionRecord | null> {
    const { rows } = await run<SessionRow>(
      db,
      `SELECT ${COLUMNS} FROM ${this.schema}.sessions WHERE ns_id = $1 AND id = $2`,
      [this.nsId, id],
    );
    return rows[0] ? toSession(rows[0]) : null;
  }

  async list(db: pg.Pool, afterSeq: number, limit: number): Promise<SessionRecord[]> {
    const { rows } = await run<SessionRow>(
      db,
      `SELECT ${COLUMNS} FROM ${this.schema}.sessions WHERE ns_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [this.nsId, afterSeq, limit],
    );
    return rows.map(toSession);
  }

  /**
   * The end time (`null`: active) of the named sessions that exist, locking their rows so their memory
   * counts can be updated (inside a write).
   */
  async lockStates(tx: WriteTx, ids: readonly string[]): Promise<Map<string, number | null>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const { rows } = await tx.query<{ id: string; ended_at: number | null }>(
      `SELECT id, ended_at FROM ${this.schema}.sessions WHERE ns_id = $1 AND id = ANY($2::text[])
       ORDER BY id FOR UPDATE`,
      [this.nsId, unique],
    );
    return new Map(rows.map((r) => [r.id, r.ended_at]));
  }

  /** Adds deltas to sessions' memory counts (inside a write). */
  async count(tx: WriteTx, deltas: Map<string, number>): Promise<void> {
    const entries = [...deltas].filter(([, d]) => d !== 0);
    if (entries.length === 0) return;
    await tx.query(
      `UPDATE ${this.schema}.sessions s SET memory_count = s.memory_count + d.delta
       FROM unnest($2::text[], $3::bigint[]) AS d(id, delta) WHERE s.ns_id = $1 AND s.id = d.id`,
      [this.nsId, entries.map(([id]) => id), entries.map(([, d]) => d)],
    );
  }

  async create(
    tx: WriteTx,
    session: { id: string; metadata: Metadata; createdAt: number },
  ): Promise<SessionRecord> {
    const seq = tx.state.last_session_seq + 1;
    const { rows } = await tx.query<SessionRow>(
      `INSERT INTO ${this.schema}.sessions (ns_id, id, seq, metadata, created_at) VALUES ($1, $2, $3, $4::jsonb, $5)
       ON CONFLICT (ns_id, id) DO NOTHING RETURNING ${COLUMNS}`,
      [this.nsId, session.id, seq, jsonParam(session.metadata), session.createdAt],
    );
    if (!rows[0]) {
      throw new ConflictError({ code: "ALREADY_EXISTS", message: `session "${session.id}" already exists` });
    }
    tx.state.last_session_seq = seq;
    const rec = toSession(rows[0]);
    tx.log("session.created", rec.id, 0, rec.createdAt, { metadata: rec.metadata });
    return rec;
  }

  /** Ends a session (logging `session.ended` only when this call ended it). */
  async end(tx: WriteTx, id: string, at: number): Promise<SessionRecord | null> {
    const s = await this.get(tx.client, id);
    if (!s) return null;
    if (s.endedAt !== null) return s;
    await tx.query(`UPDATE ${this.schema}.sessions SET ended_at = $3 WHERE ns_id = $1 AND id = $2`, [
      this.nsId,
      id,
      at,
    ]);
    tx.log("session.ended", id, 0, at, null);
    return { ...s, endedAt: at };
  }
}

/** Throws unless `states` (from {@link PostgresSessions.lockStates}) has `id` as an active session. */
export function assertWritable(states: Map<string, number | null>, id: string): void {
  if (!states.has(id))
    throw new NotFoundError({ code: "SESSION_NOT_FOUND", message: `session "${id}" not found` });
  if (states.get(id) !== null)
    throw new ConflictError({ code: "SESSION_ENDED", message: `session "${id}" has ended` });
}
