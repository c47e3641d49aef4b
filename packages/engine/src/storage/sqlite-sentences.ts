/**
 * Sentence vectors of a namespace's memories in SQLite (table `sentence_vectors`, one row per
 * memory that has any), written inside the store's transactions, and the progress of their backfill
 * (key `sentence_backfill` of the `meta` table).
 *
 * @module
 */
import type BetterSqlite3 from "better-sqlite3-multiple-ciphers";
import { canonicalBackfill, sameBackfill } from "./backfill-state.js";
import type { SentenceBackfillState, SentenceFill } from "./driver.js";
import { blobToSentenceVectors, sentenceVectorsToBlob } from "./sentence-blob.js";
import { chunks } from "./sqlite-rows.js";
import type { StatementCache } from "./sqlite-statements.js";

export const SENTENCES_SCHEMA = `
CREATE TABLE IF NOT EXISTS sentence_vectors (
  seq INTEGER PRIMARY KEY,
  count INTEGER NOT NULL,
  vectors BLOB NOT NULL
);
`;

/** Reads and writes the `sentence_vectors` table (callers hold the transaction). */
export class SqliteSentences {
  readonly #statements: StatementCache;

  constructor(db: BetterSqlite3.Database, statements: StatementCache) {
    db.exec(SENTENCES_SCHEMA);
    this.#statements = statements;
  }

  /** Replaces the vectors of a memory (none: removes them). */
  put(seq: number, vectors: readonly Float32Array[]): void {
    this.remove(seq);
    if (vectors.length === 0) return;
    this.#statements
      .get("INSERT INTO sentence_vectors (seq, count, vectors) VALUES (?, ?, ?)")
      .run(seq, vectors.length, sentenceVectorsToBlob(vectors));
  }

  remove(seq: number): void {
    this.#statements.get("DELETE FROM sentence_vectors WHERE seq = ?").run(seq);
  }

  get(seqs: readonly number[]): Map<number, Float32Array[]> {
    const out = new Map<number, Float32Array[]>();
    for (const part of chunks(seqs)) {
      const [stmt, params] = this.#statements.inList(
        part,
        (list) => `SELECT seq, count, vectors FROM sentence_vectors WHERE seq IN (${list})`,
      );
      for (const row of stmt.all(...params) as { seq: number; count: number; vectors: Buffer }[])
        out.set(row.seq, blobToSentenceVectors(row.vectors, row.count));
    }
    return out;
  }

  /** Stores backfilled vectors for memories that have none and still hold the text they were computed from. */
  fill(entries: readonly SentenceFill[]): number[] {
    const stmt = this.#statements.get(
      `INSERT OR IGNORE INTO sentence_vectors (seq, count, vectors) SELECT ?, ?, ?
       WHERE EXISTS (SELECT 1 FROM memories WHERE seq = ? AND updated_at = ? AND content = ?)`,
    );
    const written: number[] = [];
    for (const e of entries) {
      if (e.vectors.length === 0) continue;
      const info = stmt.run(
        e.seq,
        e.vectors.length,
        sentenceVectorsToBlob(e.vectors),
        e.seq,
        e.updatedAt,
        e.content,
      );
      if (info.changes > 0) written.push(e.seq);
    }
    return written;
  }

  backfill(): SentenceBackfillState | null {
    const row = this.#statements.get(`SELECT value FROM meta WHERE key = '${BACKFILL_KEY}'`).get() as
      | { value: string }
      | undefined;
    return row ? canonicalBackfill(JSON.parse(row.value) as SentenceBackfillState) : null;
  }

  /** Writes the state (inside the caller's transaction) unless `expected` is given and differs. */
  setBackfill(
    state: SentenceBackfillState | null,
    opts?: { expected: SentenceBackfillState | null },
  ): boolean {
    if (opts && !sameBackfill(this.backfill(), opts.expected)) return false;
    if (state === null) this.#statements.get(`DELETE FROM meta WHERE key = '${BACKFILL_KEY}'`).run();
    else
      this.#statements
        .get(`INSERT OR REPLACE INTO meta (key, value) VALUES ('${BACKFILL_KEY}', ?)`)
        .run(JSON.stringify(canonicalBackfill(state)));
    return true;
  }
}

const BACKFILL_KEY = "sentence_backfill";
