/**
 * A {@link Bm25Index} frozen at one moment for a snapshot, while the index keeps changing
 * (copy-on-write). The index tells an open freeze before it changes a posting list or a document
 * record, and the freeze keeps that part's state from before the first such change: a snapshot
 * encoded a slice per turn of the event loop then holds exactly the index at the freeze, however many
 * writes come in between — where re-encoding after every change could never finish under a steady
 * write stream, and one synchronous pass stalled every request for hundreds of milliseconds at a
 * million memories.
 *
 * What is kept stays small: term text and ids are only ever appended (the freeze reads the first
 * `termCount`), document records are a few dozen bytes, and a posting list that only grows at its end
 * (a new memory's postings: new memories have the highest labels) is kept as a view of its current
 * arrays, whose first `size` entries appending never touches; it is copied only before a change
 * inside it (a memory re-indexed or removed). Lists the encoder has already copied keep nothing.
 *
 * @module
 */
import type { DocTermFreeze } from "./doc-terms.js";
import type { PostingList } from "./postings.js";

/** One term's postings: the first `size` entries of each array (`labels` ascending). */
export interface Postings {
  readonly labels: Uint32Array;
  readonly tfs: Uint8Array;
  readonly lengths: Uint16Array;
  readonly size: number;
  readonly maxTf: number;
}

/** What a {@link Bm25Freeze} is made of, given by the index. */
export interface Bm25FreezeParts {
  /** The index's term table (only appended to). */
  terms: readonly string[];
  /** The index's posting lists by term id (only appended to; each list changes in place). */
  lists: readonly PostingList[];
  docs: DocTermFreeze;
  totalLength: number;
  minLength: number;
  /** Stops the index telling this freeze of changes. */
  release: () => void;
}

const view = (p: Postings): Postings => ({
  labels: p.labels,
  tfs: p.tfs,
  lengths: p.lengths,
  size: p.size,
  maxTf: p.maxTf,
});

const copyOf = (p: Postings): Postings => ({
  labels: p.labels.slice(0, p.size),
  tfs: p.tfs.slice(0, p.size),
  lengths: p.lengths.slice(0, p.size),
  size: p.size,
  maxTf: p.maxTf,
});

/** The contents of a {@link Bm25Index} at {@link Bm25Index.freeze}; {@link release} it when done. */
export class Bm25Freeze {
  /** Terms by id: the first {@link termCount} are the frozen ones. */
  readonly terms: readonly string[];
  readonly termCount: number;
  /** Document records at the freeze. */
  readonly docs: DocTermFreeze;
  readonly totalLength: number;
  readonly minLength: number;
  readonly #lists: readonly PostingList[];
  /** Lists changed since the freeze, as they were. */
  readonly #kept = new Map<number, Postings>();
  /** Lists below this id have been read for good: their changes need nothing kept. */
  #readBelow = 0;
  readonly #release: () => void;

  constructor(parts: Bm25FreezeParts) {
    this.terms = parts.terms;
    this.termCount = parts.lists.length;
    this.#lists = parts.lists;
    this.docs = parts.docs;
    this.totalLength = parts.totalLength;
    this.minLength = parts.minLength;
    this.#release = parts.release;
  }

  /** Documents at the freeze. */
  get documents(): number {
    return this.docs.size;
  }

  /** Term `id`'s postings at the freeze (`id` < {@link termCount}). */
  list(id: number): Postings {
    return this.#kept.get(id) ?? this.#lists[id]!;
  }

  /** The reader is done with the lists below `id`: later changes of them keep nothing. */
  readBelow(id: number): void {
    for (const k of this.#kept.keys()) if (k < id) this.#kept.delete(k);
    this.#readBelow = Math.max(this.#readBelow, id);
  }

  /**
   * Told by the index before list `id` changes; `append` when the change adds a posting after all
   * others (the first `size` entries of the list's arrays stay as they are).
   */
  changing(id: number, list: PostingList, append: boolean): void {
    if (id >= this.termCount || id < this.#readBelow) return;
    const kept = this.#kept.get(id);
    if (kept === undefined) this.#kept.set(id, append ? view(list) : copyOf(list));
    // A view of arrays about to change in place becomes a copy (after growing, the list has new arrays).
    else if (!append && kept.labels === list.labels) this.#kept.set(id, copyOf(kept));
  }

  /** Ends the freeze: the index stops telling it of changes, and what it kept is dropped. */
  release(): void {
    this.#release();
    this.docs.release();
    this.#kept.clear();
  }
}
