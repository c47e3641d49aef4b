/**
 * When and how a namespace writes its ANN snapshot: after enough changes (`snapshotEvery`, or a tenth
 * of the namespace when that is more, so the cost per change stays bounded), once vectors a snapshot
 * left out have been inserted, after a rebuilt graph is swapped in, and on close.
 *
 * @module
 */
import type { HnswIndex } from "../index/hnsw.js";
import { discardSnapshotTemp, saveSnapshot } from "../index/hnsw-snapshot.js";
import type { NamespaceStore } from "../storage/driver.js";
import { type SnapshotTarget, snapshotTarget } from "./runtime-load.js";

/** Options of {@link AnnSnapshots}. */
export interface AnnSnapshotsOptions {
  store: NamespaceStore;
  /** Changes between two snapshots at least. */
  every: number;
  /** Told of a snapshot that could not be written (the previous one stays). */
  onFailure: (error: unknown) => void;
}

/** The snapshot state of one namespace. */
export class AnnSnapshots {
  readonly #opts: AnnSnapshotsOptions;
  /** The store generation the snapshot on disk reflects. */
  #generation = 0;
  /** The snapshot on disk lacks vectors the index holds (pending then, or another graph's). */
  #incomplete = false;
  /** The write in progress, and the one folded after it. */
  #running: Promise<boolean> | null = null;
  #queued: Promise<boolean> | null = null;

  constructor(opts: AnnSnapshotsOptions) {
    this.#opts = opts;
  }

  /** Where snapshots go (`null`: none are written, see `runtime-load.ts`). */
  target(): SnapshotTarget | null {
    return snapshotTarget(this.#opts.store);
  }

  /** What the snapshot on disk holds, after the namespace opened. */
  loaded(generation: number, incomplete: boolean): void {
    this.#generation = generation;
    this.#incomplete = incomplete;
  }

  /** The index in use changed as a whole (a rebuilt graph): the snapshot on disk is outdated. */
  invalidate(): void {
    this.#incomplete = true;
  }

  /** Whether the last snapshot lacks vectors (write another once they are in). */
  get incomplete(): boolean {
    return this.#incomplete;
  }

  /**
   * Whether enough changes have accumulated since the last snapshot, for a namespace of `size` (never
   * while one is being written: the next change after it asks again).
   */
  due(generation: number, size: number): boolean {
    if (this.#running) return false;
    return generation - this.#generation >= Math.max(this.#opts.every, Math.floor(size / 10));
  }

  /**
   * Writes the snapshot if the one on disk is behind: `index()` at `generation()`, read when the write
   * starts. Writes run one at a time in the background (`hnsw-snapshot.ts`); a call during one is
   * folded into a single write after it. Best effort: the snapshot is derived state written after a
   * commit, so a failure (a full disk) must not fail the write behind it; it is reported, the
   * snapshot stays behind (or absent) and is caught up or rebuilt on open. Resolves with whether a
   * snapshot was written.
   */
  write(
    index: () => HnswIndex | null,
    generation: () => number,
    target?: SnapshotTarget | null,
  ): Promise<boolean> {
    const start = () => this.#start(index(), generation(), target === undefined ? this.target() : target);
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

  #start(index: HnswIndex | null, generation: number, target: SnapshotTarget | null): Promise<boolean> {
    if (!target || !index) return Promise.resolve(false);
    if (generation === this.#generation && !this.#incomplete) return Promise.resolve(false);
    // Vectors still pending now are not in the file (later ones are past its generation anyway).
    const lacking = index.pending > 0;
    const run = saveSnapshot(index, target.dir, generation, target.cipher).then(
      () => {
        this.#generation = generation;
        this.#incomplete = lacking;
        return true;
      },
      (err: unknown) => {
        discardSnapshotTemp(target.dir);
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
