/**
 * Transactions of the PostgreSQL driver.
 *
 * Every write to a namespace runs in {@link writeTransaction}: it locks the namespace's catalog row
 * (`SELECT … FOR UPDATE`), which serialises writers of that namespace across every process sharing
 * the database while writers of other namespaces proceed. Under that lock the transaction reads the
 * namespace's counters, assigns seqs and generations from them (so they are strictly increasing and
 * gap-free in commit order), appends its change-log entries, stores the counters back and calls
 * `pg_notify('loci_changes', …)`, all before COMMIT. A rolled-back write leaves no trace, counters
 * included.
 *
 * @module
 */
import type pg from "pg";
import { ConflictError, LociError, NotFoundError, StorageError } from "../errors.js";
import type { Metadata } from "../types.js";
import type { ChangeType } from "./driver.js";
import { jsonParam, run } from "./postgres-rows.js";

/** The notification channel of change events (payload: `{ schema, namespace, generation }`). */
export const CHANGE_CHANNEL = "loci_changes";

/** Network errors, connection-exception SQLSTATEs (class 08) and server shutdown / overload. */
const NETWORK = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENOTFOUND"]);
const SHUTDOWN = new Set(["57P01", "57P02", "57P03", "53300"]);
function unreachable(code: string | undefined, message: string): boolean {
  if (code && (NETWORK.has(code) || SHUTDOWN.has(code) || code.startsWith("08"))) return true;
  return /^Connection terminated|timeout exceeded when trying to connect/.test(message);
}

/**
 * Maps a driver error to a LociError (LociErrors pass through): a unique violation is
 * `ALREADY_EXISTS`, a missing table of a namespace `NAMESPACE_NOT_FOUND`, a full disk `STORAGE_FULL`
 * (507), a read-only server (a hot standby) `STORAGE_READ_ONLY` (503), an unreachable or shutting
 * down database `UNAVAILABLE` (503), anything else `STORAGE_ERROR`.
 */
export function toStorageError(err: unknown, namespace?: string): LociError {
  if (LociError.isInstance(err)) return err;
  const code = (err as { code?: string }).code;
  if (code === "42P01" && namespace !== undefined) {
    return new NotFoundError({
      code: "NAMESPACE_NOT_FOUND",
      message: `namespace "${namespace}" not found`,
      cause: err,
    });
  }
  if (code === "23505") {
    return new ConflictError({ code: "ALREADY_EXISTS", message: (err as Error).message, cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  if (code === "53100") {
    return new StorageError({ code: "STORAGE_FULL", message: `postgres: ${message}`, cause: err });
  }
  if (code === "25006") {
    return new StorageError({ code: "STORAGE_READ_ONLY", message: `postgres: ${message}`, cause: err });
  }
  if (unreachable(code, message)) {
    return new LociError({
      code: "UNAVAILABLE",
      message: `the PostgreSQL database is unreachable: ${message}`,
      details: code ? { pgCode: code } : {},
      cause: err,
    });
  }
  return new StorageError({
    message: `postgres: ${message}`,
    details: code ? { pgCode: code } : {},
    cause: err,
  });
}

/** Runs `fn` in a transaction on a pooled connection (ROLLBACK on any error). */
export async function transaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    const result = await fn(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch((e: Error) => {
      broken = e;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

/** The catalog row of a namespace as locked by a write. */
export interface NamespaceState {
  id: number;
  dimensions: number | null;
  last_seq: number;
  generation: number;
  last_session_seq: number;
  memory_count: number;
}

/** A write transaction on one namespace: counters, change log and notification. */
export class WriteTx {
  readonly #start: NamespaceState;
  readonly state: NamespaceState;
  readonly #changes: {
    generation: number;
    type: ChangeType;
    subjectId: string;
    subjectSeq: number;
    at: number;
    payload: string | null;
  }[] = [];

  constructor(
    readonly client: pg.PoolClient,
    readonly schema: string,
    readonly schemaName: string,
    readonly namespace: string,
    state: NamespaceState,
  ) {
    this.#start = { ...state };
    this.state = state;
  }

  get nsId(): number {
    return this.state.id;
  }

  /** The next memory seq. */
  nextSeq(): number {
    return ++this.state.last_seq;
  }

  /** Appends a change-log entry (written at {@link flush}). */
  log(type: ChangeType, subjectId: string, subjectSeq: number, at: number, payload: Metadata | null): void {
    this.#changes.push({
      generation: ++this.state.generation,
      type,
      subjectId,
      subjectSeq,
      at,
      payload: payload === null ? null : jsonParam(payload),
    });
  }

  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]) {
    return run<R>(this.client, sql, params);
  }

  /** Writes the change log and the counters, and notifies listeners (still inside the transaction). */
  async flush(): Promise<void> {
    const c = this.#changes;
    if (c.length > 0) {
      await this.query(
        `INSERT INTO ${this.schema}.changes (ns_id, generation, type, subject_id, subject_seq, at, payload)
         SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::jsonb[])`,
        [
          this.nsId,
          c.map((x) => x.generation),
          c.map((x) => x.type),
          c.map((x) => x.subjectId),
          c.map((x) => x.subjectSeq),
          c.map((x) => x.at),
          c.map((x) => x.payload),
        ],
      );
    }
    const s = this.state;
    const b = this.#start;
    if (
      s.last_seq === b.last_seq &&
      s.generation === b.generation &&
      s.last_session_seq === b.last_session_seq &&
      s.memory_count === b.memory_count &&
      s.dimensions === b.dimensions
    ) {
      return;
    }
    await this.query(
      `UPDATE ${this.schema}.namespaces SET last_seq = $2, generation = $3, last_session_seq = $4,
         memory_count = $5, dimensions = $6 WHERE id = $1`,
      [s.id, s.last_seq, s.generation, s.last_session_seq, s.memory_count, s.dimensions],
    );
    if (s.generation !== b.generation) {
      const payload = JSON.stringify({
        schema: this.schemaName,
        namespace: this.namespace,
        generation: s.generation,
      });
      await this.query("SELECT pg_notify($1, $2)", [CHANGE_CHANNEL, payload]);
    }
  }
}

/**
 * Runs `fn` as a write transaction on namespace `nsId`, holding the namespace's row lock.
 * @throws {NotFoundError} NAMESPACE_NOT_FOUND when the namespace was deleted meanwhile.
 */
export async function writeTransaction<T>(
  pool: pg.Pool,
  ctx: { schema: string; schemaName: string; namespace: string; nsId: number },
  fn: (tx: WriteTx) => Promise<T>,
): Promise<T> {
  try {
    return await transaction(pool, async (client) => {
      const { rows } = await run<NamespaceState>(
        client,
        `SELECT id, dimensions, last_seq, generation, last_session_seq, memory_count
         FROM ${ctx.schema}.namespaces WHERE id = $1 FOR UPDATE`,
        [ctx.nsId],
      );
      if (!rows[0]) {
        throw new NotFoundError({
          code: "NAMESPACE_NOT_FOUND",
          message: `namespace "${ctx.namespace}" not found`,
        });
      }
      const tx = new WriteTx(client, ctx.schema, ctx.schemaName, ctx.namespace, rows[0]);
      const result = await fn(tx);
      await tx.flush();
      return result;
    });
  } catch (err) {
    throw toStorageError(err, ctx.namespace);
  }
}
