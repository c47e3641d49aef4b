/**
 * A bounded selection of the best `k` scored labels (a binary min-heap on parallel arrays), in
 * O(n log k) instead of sorting everything. Order: higher score first, then lower label.
 *
 * @module
 */

/** The best `k` (label, score) pairs pushed so far. */
export class TopK {
  readonly k: number;
  readonly #labels: number[] = [];
  readonly #scores: number[] = [];

  constructor(k: number) {
    this.k = Math.max(0, k);
  }

  get size(): number {
    return this.#labels.length;
  }

  /**
   * The score an entry must exceed to be sure of a place (−∞ until `k` entries are held): an entry
   * scoring at most this cannot displace anything, except a tie with a lower label (+∞ when k = 0).
   */
  get threshold(): number {
    if (this.k === 0) return Number.POSITIVE_INFINITY;
    return this.#labels.length < this.k ? Number.NEGATIVE_INFINITY : this.#scores[0]!;
  }

  /** `a` ranks below `b`. */
  #worse(i: number, j: number): boolean {
    const si = this.#scores[i]!;
    const sj = this.#scores[j]!;
    return si < sj || (si === sj && this.#labels[i]! > this.#labels[j]!);
  }

  #swap(i: number, j: number): void {
    const l = this.#labels[i]!;
    this.#labels[i] = this.#labels[j]!;
    this.#labels[j] = l;
    const s = this.#scores[i]!;
    this.#scores[i] = this.#scores[j]!;
    this.#scores[j] = s;
  }

  /** Offers an entry; it is kept when it ranks among the best `k`. */
  push(label: number, score: number): void {
    if (this.k === 0) return;
    const n = this.#labels.length;
    if (n < this.k) {
      this.#labels.push(label);
      this.#scores.push(score);
      for (let i = n; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!this.#worse(i, parent)) break;
        this.#swap(i, parent);
        i = parent;
      }
      return;
    }
    const root = this.#scores[0]!;
    if (score < root || (score === root && label > this.#labels[0]!)) return;
    this.#labels[0] = label;
    this.#scores[0] = score;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.#worse(l, m)) m = l;
      if (r < n && this.#worse(r, m)) m = r;
      if (m === i) break;
      this.#swap(i, m);
      i = m;
    }
  }

  /** The entries, best first. */
  sorted(): { label: number; score: number }[] {
    return this.#labels
      .map((label, i) => ({ label, score: this.#scores[i]! }))
      .sort((a, b) => b.score - a.score || a.label - b.label);
  }
}
