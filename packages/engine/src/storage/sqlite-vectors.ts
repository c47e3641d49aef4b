/**
 * Memory embeddings of a namespace in SQLite, in their own table `memory_vectors` (seq → BLOB of
 * float32), written inside the store's transactions. Kept apart from the `memories` rows so those
 * stay small (~300 bytes instead of ~2.3 KB at 512-d): reading search winners and scanning on open
 * then touch a few pages instead of one page per memory, and the page cache holds far more rows.
 *
 * Namespace files written before the split keep their vectors in `memories.embedding`;
 * {@link migrateVectors} moves them, once, when such a file is opened.
 *
 * @module
 */
import type BetterSqlite3 from "better-sqlite3-multiple-ciphers";
import { blobToVector, chunks, vectorToBlob } from "./sqlite-rows.js";
import type { StatementCache } from "./sqlite-statements.js";

export const VECTORS_SCHEMA = `
CREATE TABLE IF NOT EXISTS memory_vectors (
  seq INTEGER PRIMARY KEY,
  embedding BLOB NOT NULL
);
`;

/**
 * Moves vectors out of `memories.embedding` (files from before the split), in one transaction, then
 * vacuums: dropping the column rewrites the table, and the file would otherwise keep both copies'
 * pages (421 → 831 MB at 100k 512-d memories; 442 MB with the vacuum, which took a few seconds).
 */
export function migrateVectors(db: BetterSqlite3.Database): void {
  const columns = db.prepare("PRAGMA table_info(memories)").all() as { name: string }[];
  if (!columns.some((c) => c.name === "embedding")) return;
  db.transaction(() => {
    db.exec(VECTORS_SCHEMA);
    db.exec("INSERT OR REPLACE INTO memory_vectors (seq, embedding) SELECT seq, embedding FROM memories");
    db.exec("ALTER TABLE memories DROP COLUMN embedding");
  }).immediate();
  db.exec("VACUUM");
}

/** Reads and writes the `memory_vectors` table (callers hold the transaction). */
export class SqliteVectors {
  readonly #statements: StatementCache;

  constructor(db: BetterSqlite3.Database, statements: StatementCache) {
    db.exec(VECTORS_SCHEMA);
    this.#statements = statements;
  }

  put(seq: number, vector: Float32Array): void {
    this.#statements
      .get("INSERT OR REPLACE INTO memory_vectors (seq, embedding) VALUES (?, ?)")
      .run(seq, vectorToBlob(vector));
  }

  remove(seq: number): void {
    this.#statements.get("DELETE FROM memory_vectors WHERE seq = ?").run(seq);
  }

  get(seqs: readonly number[]): Map<number, Float32Array> {
    const out = new Map<number, Float32Array>();
    for (const part of chunks(seqs)) {
      const [stmt, params] = this.#statements.inList(
        part,
        (list) => `SELECT seq, embedding FROM memory_vectors WHERE seq IN (${list})`,
      );
      for (const row of stmt.all(...params) as { seq: number; embedding: Buffer }[])
        out.set(row.seq, blobToVector(row.embedding));
    }
    return out;
  }
}
