/**
 * When a namespace writes a snapshot of one of its derived indexes (the ANN graph, the keyword
 * index): after enough changes (`snapshotEvery`, or a tenth of the namespace when that is more, so
 * the cost per change stays bounded), once what a snapshot left out is in (vectors still pending) when
 * that is as much, after the index is replaced as a whole (a rebuilt graph), and on close.
 *
 * @module
 */

/** Options of {@link SnapshotSchedule}: the index kind `S`, written to targets `T`. */
export interface SnapshotScheduleOptions<S, T> {
  /** Where snapshots go now (`null`: none are written). */
  target: () => T | null;
  /** Changes between two snapshots at least. */
  every: number;
  /** Writes `source` as the snapshot at `target` including storage `generation`. */
  save: (source: S, target: T, generation: number) => Promise<void>;
  /** How many entries a snapshot of `source` taken now would lack (pending vectors). @default 0 */
  lacking?: (source: S) => number;
  /** Cleans up after a failed write (temp files). */
  discard?: (target: T) => void;
  /** Told of a snapshot that could not be written (the previous one stays). */
  onFailure: (error: unknown) => void;
}

/** The snapshot state of one index of a namespace. */
export class SnapshotSchedule<S, T> {
  readonly #opts: SnapshotScheduleOptions<S, T>;
  /** The store generation the snapshot on disk reflects. */
  #generation = 0;
  /**
   * Entries the index holds that the snapshot on disk lacks (pending when it was written, or caught up
   * on open); `Infinity` when it is another graph's or there is none.
   */
  #lacking = 0;
  /** The write in progress, and the one folded after it. */
  #running: Promise<boolean> | null = null;
  #queued: Promise<boolean> | null = null;

  constructor(opts: SnapshotScheduleOptions<S, T>) {
    this.#opts = opts;
  }

  /** Where snapshots go (`null`: none are written). */
  target(): T | null {
    return this.#opts.target();
  }

  /** What the snapshot on disk holds, after the namespace opened (`lacking`: see {@link SnapshotSchedule.completionDue}). */
  loaded(generation: number, lacking: number): void {
    this.#generation = generation;
    this.#lacking = lacking;
  }

  /** The index in use changed as a whole (a rebuilt graph): the snapshot on disk is outdated. */
  invalidate(): void {
    this.#lacking = Number.POSITIVE_INFINITY;
  }

  /** Changes between snapshots for a namespace of `size`. */
  #threshold(size: number): number {
    return Math.max(this.#opts.every, Math.floor(size / 10));
  }

  /**
   * Whether enough changes have accumulated since the last snapshot, for a namespace of `size` (never
   * while one is being written: the next change after it asks again).
   */
  due(generation: number, size: number): boolean {
    if (this.#running) return false;
    return generation - this.#generation >= this.#threshold(size);
  }

  /**
   * Whether to write a complete snapshot now that the index holds everything (its backlog emptied):
   * when the one on disk lacks as many entries as a snapshot is written for ({@link
   * SnapshotSchedule.due}). A few lacking ones are cheaper to catch up on the next open than a whole
   * new file: under steady writes the backlog empties many times a second, and completing the
   * snapshot each time rewrote it continuously.
   */
  completionDue(size: number): boolean {
    return this.#lacking > 0 && this.#lacking >= this.#threshold(size);
  }

  /**
   * Writes the snapshot if the one on disk is behind: `source()` at `generation()`, read when the
   * write starts. Writes run one at a time in the background; a call during one is
   * folded into a single write after it. Best effort: the snapshot is derived state written after a
   * commit, so a failure (a full disk) must not fail the write behind it; it is reported, the
   * snapshot stays behind (or absent) and is caught up or rebuilt on open. Resolves with whether a
   * snapshot was written.
   */
  write(source: () => S | null, generation: () => number, target?: T | null): Promise<boolean> {
    const start = () => this.#start(source(), generation(), target === undefined ? this.target() : target);
    if (!this.#running) return start();
    this.#queued ??= this.#running.then(() => {
      this.#queued = null;
      return start();
    });
    return this.#queued;
  }

  /** Resolves once no snapshot is being written or waits to be. */
  async idle(): Promise<void> {
    while (this.#running || this.#queued) await (this.#queued ?? this.#running);
  }

  #start(source: S | null, generation: number, target: T | null): Promise<boolean> {
    if (!target || !source) return Promise.resolve(false);
    if (generation === this.#generation && this.#lacking === 0) return Promise.resolve(false);
    // What is left out now (pending vectors) is not in the file; later changes are past its generation.
    const lacking = this.#opts.lacking?.(source) ?? 0;
    const run = this.#opts.save(source, target, generation).then(
      () => {
        this.#generation = generation;
        this.#lacking = lacking;
        return true;
      },
      (err: unknown) => {
        this.#opts.discard?.(target);
        this.#opts.onFailure(err);
        return false;
      },
    );
    this.#running = run;
    void run.finally(() => {
      if (this.#running === run) this.#running = null;
    });
    return run;
  }
}
