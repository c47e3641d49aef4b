/**
 * One term's postings for {@link Bm25Index}: the labels of the documents holding the term, kept
 * sorted ascending, each with its term frequency and the document's length (in index terms), in
 * three parallel typed arrays (7 bytes a posting). New documents have the highest labels (storage
 * `seq`s grow), so indexing appends; re-indexing and removal are a binary search and a move.
 *
 * Frequencies and lengths saturate (255 and 65,535): BM25's term-frequency saturation makes the
 * difference between such counts negligible, and the exact lengths are kept by the index for the
 * average.
 *
 * @module
 */

/** Largest label a posting can hold. */
export const MAX_LABEL = 0xffff_ffff;
const MAX_TF = 0xff;
const MAX_LENGTH = 0xffff;

/** The postings of one term. */
export class PostingList {
  labels: Uint32Array;
  tfs: Uint8Array;
  lengths: Uint16Array;
  size = 0;
  /**
   * An upper bound of the term frequencies in the list (exact after adds, kept after removals, so
   * still a bound): it bounds the term's BM25 contribution for early termination.
   */
  maxTf = 0;

  /** An empty list, or one over existing arrays (see {@link PostingList.restore}). */
  constructor(labels?: Uint32Array, tfs?: Uint8Array, lengths?: Uint16Array) {
    this.labels = labels ?? new Uint32Array(2);
    this.tfs = tfs ?? new Uint8Array(2);
    this.lengths = lengths ?? new Uint16Array(2);
  }

  /**
   * A list over existing arrays (taken over, not copied), as a snapshot stored them.
   * @throws {RangeError} when the arrays differ in length or the labels are not strictly ascending
   */
  static restore(labels: Uint32Array, tfs: Uint8Array, lengths: Uint16Array, maxTf: number): PostingList {
    if (tfs.length !== labels.length || lengths.length !== labels.length)
      throw new RangeError("posting arrays of different lengths");
    for (let i = 1; i < labels.length; i++)
      if (labels[i - 1]! >= labels[i]!) throw new RangeError("posting labels out of order");
    if (labels.length === 0) return new PostingList();
    const list = new PostingList(labels, tfs, lengths);
    list.size = labels.length;
    list.maxTf = maxTf;
    return list;
  }

  /** Index of `label`, or `-(insertion point) − 1` when absent. */
  find(label: number): number {
    const labels = this.labels;
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = labels[mid]!;
      if (v === label) return mid;
      if (v < label) lo = mid + 1;
      else hi = mid - 1;
    }
    return -lo - 1;
  }

  /**
   * The first index at or after `from` whose label is ≥ `label` (`size` when there is none), by
   * galloping from `from`: lookups of increasing labels (a walk of another term's sorted postings)
   * move a cursor forward in a few steps each, where a binary search from scratch takes log2(size)
   * steps all over the list.
   */
  seek(label: number, from: number): number {
    const labels = this.labels;
    const size = this.size;
    if (from >= size || labels[from]! >= label) return from;
    // labels[lo] < label throughout; find hi with labels[hi] >= label (or hi = size).
    let lo = from;
    let step = 1;
    let hi = from + 1;
    while (hi < size && labels[hi]! < label) {
      lo = hi;
      step *= 2;
      hi = lo + step;
    }
    if (hi > size) hi = size;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (labels[mid]! < label) lo = mid;
      else hi = mid;
    }
    return hi;
  }

  /** Adds a posting (the label must be absent). */
  add(label: number, tf: number, length: number): void {
    if (this.size === this.labels.length) this.#grow();
    const at = this.size === 0 || this.labels[this.size - 1]! < label ? this.size : -this.find(label) - 1;
    if (at < this.size) {
      this.labels.copyWithin(at + 1, at, this.size);
      this.tfs.copyWithin(at + 1, at, this.size);
      this.lengths.copyWithin(at + 1, at, this.size);
    }
    const f = Math.min(tf, MAX_TF);
    this.labels[at] = label;
    this.tfs[at] = f;
    this.lengths[at] = Math.min(length, MAX_LENGTH);
    this.size++;
    if (f > this.maxTf) this.maxTf = f;
  }

  /** Removes the posting of `label` (no-op when absent). */
  remove(label: number): void {
    const at = this.find(label);
    if (at < 0) return;
    this.labels.copyWithin(at, at + 1, this.size);
    this.tfs.copyWithin(at, at + 1, this.size);
    this.lengths.copyWithin(at, at + 1, this.size);
    this.size--;
    if (this.size === 0) this.maxTf = 0;
    else if (this.size * 4 < this.labels.length && this.labels.length > 8) this.#resize(this.size * 2);
  }

  #grow(): void {
    this.#resize(Math.max(2, this.labels.length * 2));
  }

  #resize(capacity: number): void {
    const labels = new Uint32Array(capacity);
    const tfs = new Uint8Array(capacity);
    const lengths = new Uint16Array(capacity);
    labels.set(this.labels.subarray(0, this.size));
    tfs.set(this.tfs.subarray(0, this.size));
    lengths.set(this.lengths.subarray(0, this.size));
    this.labels = labels;
    this.tfs = tfs;
    this.lengths = lengths;
  }
}
