/**
 * The keyword index contract. Scores are BM25 (higher is better, unbounded); the engine normalises
 * them per query. Implementations: `bm25.ts` (an inverted index of our own with exact BM25
 * ranking).
 *
 * @module
 */

/** A keyword hit. */
export interface KeywordHit {
  label: number;
  /** The BM25 score (> 0). */
  score: number;
}

/** A full-text index over documents identified by numeric labels. */
export interface KeywordIndex {
  /** Number of indexed documents. */
  readonly size: number;
  /** Indexes (or re-indexes) a document. */
  upsert(label: number, text: string): void;
  /** Removes a document (no-op if absent). */
  remove(label: number): void;
  /**
   * The best `k` documents for a query by BM25, best first, among those passing `filter`.
   * Documents match when they contain at least one query term.
   */
  search(query: string, k: number, filter?: (label: number) => boolean): KeywordHit[];
  /** The best `k` among an explicit set of documents, scored exactly (for selective filters). */
  searchAmong(query: string, k: number, labels: Iterable<number>): KeywordHit[];
  /**
   * BM25 of passages: each entry's documents scored as one (summed term frequencies and lengths),
   * against an average passage length of `span` documents.
   */
  scorePassages(
    query: string,
    passages: ReadonlyMap<number, readonly number[]>,
    span: number,
  ): Map<number, number>;
  /** How many index terms a document has (its BM25 length); undefined when it is not indexed. */
  length(label: number): number | undefined;
  /** The index terms of a text (how documents and queries are tokenized). */
  terms(text: string): string[];
  /** Exact BM25 scores of the given documents for a query (0 for no match; absent labels omitted). */
  score(query: string, labels: Iterable<number>): Map<number, number>;
}
