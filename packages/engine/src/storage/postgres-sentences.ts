/**
 * Sentence vectors of memories in PostgreSQL (table `sentence_vectors`, shared by the tenant's
 * namespaces, one row per memory that has any), written inside the namespace's write transaction or
 * by a backfill ({@link PostgresSentences.fill}).
 *
 * @module
 */
import type pg from "pg";
import type { SentenceFill } from "./driver.js";
import { run } from "./postgres-rows.js";
import type { WriteTx } from "./postgres-tx.js";
import { blobToSentenceVectors, sentenceVectorsToBlob } from "./sentence-blob.js";

/** Sentence-vector rows of one namespace. */
export class PostgresSentences {
  readonly #s: string;

  constructor(
    schema: string,
    readonly nsId: number,
  ) {
    this.#s = schema;
  }

  /** Writes the vectors of memories (replacing theirs; an empty list removes them). */
  async put(tx: WriteTx, entries: readonly [seq: number, vectors: readonly Float32Array[]][]): Promise<void> {
    if (entries.length === 0) return;
    await this.remove(
      tx,
      entries.map(([seq]) => seq),
    );
    const kept = entries.filter(([, v]) => v.length > 0);
    if (kept.length === 0) return;
    await tx.query(
      `INSERT INTO ${this.#s}.sentence_vectors (ns_id, seq, count, vectors)
       SELECT $1, * FROM unnest($2::bigint[], $3::integer[], $4::bytea[])`,
      [
        this.nsId,
        kept.map(([seq]) => seq),
        kept.map(([, v]) => v.length),
        kept.map(([, v]) => sentenceVectorsToBlob(v)),
      ],
    );
  }

  /** Removes the vectors of memories. */
  async remove(tx: WriteTx, seqs: readonly number[]): Promise<void> {
    if (seqs.length === 0) return;
    await tx.query(`DELETE FROM ${this.#s}.sentence_vectors WHERE ns_id = $1 AND seq = ANY($2::bigint[])`, [
      this.nsId,
      [...seqs],
    ]);
  }

  /** The SELECT of {@link rows} (`$1` namespace id, `$2` seqs). */
  selectSql(): string {
    return `SELECT seq, count, vectors FROM ${this.#s}.sentence_vectors WHERE ns_id = $1 AND seq = ANY($2::bigint[])`;
  }

  /** Rows of {@link selectSql} as vectors by seq. */
  static rows(rows: { seq: number | string; count: number; vectors: Buffer }[]): Map<number, Float32Array[]> {
    return new Map(rows.map((r) => [Number(r.seq), blobToSentenceVectors(r.vectors, r.count)]));
  }

  /**
   * Stores backfilled vectors for memories that have none and still hold the text they were computed
   * from. The memory rows are locked first (in seq order, as `touch` does), so an update either
   * commits before the check sees its text or waits and then replaces what this wrote.
   */
  async fill(client: pg.ClientBase, memories: string, entries: readonly SentenceFill[]): Promise<number[]> {
    const kept = entries.filter((e) => e.vectors.length > 0);
    if (kept.length === 0) return [];
    const seqs = kept.map((e) => e.seq);
    await run(client, `SELECT 1 FROM ${memories} WHERE seq = ANY($1::bigint[]) ORDER BY seq FOR UPDATE`, [
      seqs,
    ]);
    const { rows } = await run<{ seq: number | string }>(
      client,
      `INSERT INTO ${this.#s}.sentence_vectors (ns_id, seq, count, vectors)
       SELECT $1, e.seq, e.count, e.vectors
       FROM unnest($2::bigint[], $3::integer[], $4::bytea[], $5::bigint[], $6::text[])
         AS e(seq, count, vectors, updated_at, content)
       JOIN ${memories} m ON m.seq = e.seq AND m.updated_at = e.updated_at AND m.content = e.content
       ON CONFLICT DO NOTHING RETURNING seq`,
      [
        this.nsId,
        seqs,
        kept.map((e) => e.vectors.length),
        kept.map((e) => sentenceVectorsToBlob(e.vectors)),
        kept.map((e) => e.updatedAt),
        kept.map((e) => e.content),
      ],
    );
    return rows.map((r) => Number(r.seq)).sort((a, b) => a - b);
  }
}
