/**
 * When and how a namespace writes its ANN snapshot: after enough changes (`snapshotEvery`, or a tenth
 * of the namespace when that is more, so the cost per change stays bounded), once vectors a snapshot
 * left out have been inserted, after a rebuilt graph is swapped in, and on close.
 *
 * @module
 */
import { HnswIndex } from "../index/hnsw.js";
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

  /** Whether enough changes have accumulated since the last snapshot, for a namespace of `size`. */
  due(generation: number, size: number): boolean {
    return generation - this.#generation >= Math.max(this.#opts.every, Math.floor(size / 10));
  }

  /**
   * Writes `index` as the snapshot at `generation` if the one on disk is behind. Best effort: the
   * snapshot is derived state written after a commit, so a failure (a full disk) must not fail the
   * write behind it; the snapshot stays behind (or absent) and is caught up or rebuilt on open.
   * Returns whether a snapshot was written.
   */
  write(index: HnswIndex | null, generation: number, target = this.target()): boolean {
    if (!target || !index) return false;
    if (generation === this.#generation && !this.#incomplete) return false;
    try {
      index.save(target.dir, generation, target.cipher);
    } catch (err) {
      HnswIndex.discardTemp(target.dir);
      this.#opts.onFailure(err);
      return false;
    }
    this.#generation = generation;
    this.#incomplete = index.pending > 0;
    return true;
  }
}
