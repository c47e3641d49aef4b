/**
 * Prepared-statement reuse for the SQLite stores: preparing a statement costs more than running a
 * small query, so the read and write paths that run on every search or write take their statements
 * from a cache keyed by SQL text. `IN (…)` lists are padded to a power-of-two length (repeating the
 * last key, which changes nothing in an `IN`), so at most a handful of list statements exist.
 *
 * @module
 */
import type BetterSqlite3 from "better-sqlite3-multiple-ciphers";

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
   * The statement for `sql(placeholders)` with an `IN` list for `keys`, and its parameters: the list
   * is padded to the next power of two so that list lengths share statements.
   */
  inList<K>(keys: readonly K[], sql: (placeholders: string) => string): [BetterSqlite3.Statement, K[]] {
    let size = 1;
    while (size < keys.length) size *= 2;
    const params = keys.slice();
    while (params.length < size) params.push(keys[keys.length - 1]!);
    return [this.get(sql(Array(size).fill("?").join(","))), params];
  }
}
