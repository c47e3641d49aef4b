/**
 * Search-hit statistics of one namespace, coalesced: each search adds its hits here, and one write
 * persists them all shortly after, off the search path (the in-memory table is updated at once by
 * the caller, so retention sees the reinforcement immediately).
 *
 * @module
 */

/** Options of {@link AccessTouches}. */
export interface AccessTouchesOptions {
  /** Persists the pending hits: called by {@link AccessTouches.flush} (each seq once per hit). */
  persist: (seqs: number[], at: number) => Promise<void>;
  /** Runs a scheduled flush (inside the namespace's write lock). */
  schedule: (flush: () => Promise<void>) => Promise<void>;
  /** How long hits are coalesced. @default 50 */
  delayMs?: number;
}

/** Pending search hits: seq → number of hits, with the latest hit time. */
export class AccessTouches {
  readonly #pending = new Map<number, number>();
  readonly #opts: AccessTouchesOptions;
  #at = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(opts: AccessTouchesOptions) {
    this.#opts = opts;
  }

  /** Records hits at `at` and schedules their write. */
  add(seqs: Iterable<number>, at: number): void {
    for (const seq of seqs) this.#pending.set(seq, (this.#pending.get(seq) ?? 0) + 1);
    this.#at = Math.max(this.#at, at);
    if (this.#pending.size > 0 && !this.#timer) {
      this.#timer = setTimeout(() => {
        void this.#opts.schedule(() => this.flush()).catch(() => undefined);
      }, this.#opts.delayMs ?? 50);
      this.#timer.unref();
    }
  }

  /** Persists every pending hit now (a no-op when there is none). */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#pending.size === 0) return;
    const seqs: number[] = [];
    for (const [seq, n] of this.#pending) for (let i = 0; i < n; i++) seqs.push(seq);
    this.#pending.clear();
    await this.#opts.persist(seqs, this.#at);
  }

  /** Drops the pending hits and the timer (the namespace closed). */
  discard(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending.clear();
  }
}
