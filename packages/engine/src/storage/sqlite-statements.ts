/**
 * Prepared-statement reuse for the SQLite stores: preparing a statement costs more than running a
 * small query, so the read and write paths that run on every search or write take their statements
 * from a cache keyed by SQL text. `IN (…)` lists longer than 32 keys are padded to a power-of-two
 * length (repeating the last key, which changes nothing in an `IN`), so at most a few dozen list
 * statements exist per query shape.
 *
 * @module
 */
import type BetterSqlite3 from "better-sqlite3-multiple-ciphers";

/** `IN` lists up to this length are not padded (see {@link StatementCache.inList}). */
export const EXACT_LIST = 32;

/** A cache of prepared statements of one connection. */
export class StatementCache {
  readonly #db: BetterSqlite3.Database;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  /** The prepared statement for `sql` (prepared on first use). */
  get(sql: string): BetterSqlite3.Statement {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  /**
   * The statement for `sql(placeholders)` with an `IN` list for `keys`, and its parameters. Lists of up
   * to {@link EXACT_LIST} keys get a statement of their own length (a search reads 10 rows: padding
   * them to 16 with repeated keys cost ~7 µs a read); longer lists are padded to the next power of two,
   * so that list lengths share statements.
   */
  inList<K>(keys: readonly K[], sql: (placeholders: string) => string): [BetterSqlite3.Statement, K[]] {
    let size = keys.length <= EXACT_LIST ? Math.max(1, keys.length) : EXACT_LIST;
    while (size < keys.length) size *= 2;
    const params = keys.slice();
    while (params.length < size) params.push(keys[keys.length - 1]!);
    return [this.get(sql(Array(size).fill("?").join(","))), params];
  }
}
