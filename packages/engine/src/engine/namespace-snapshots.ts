/**
 * The snapshots of one namespace's derived indexes — the ANN graph (`vectors.hnsw`), the keyword
 * index (`keywords.bm25`) and the vector sketch (`vectors.sketch`) — each on its own
 * {@link SnapshotSchedule}: written after enough changes, a complete ANN snapshot once a large backlog
 * is in, a new one after a graph rebuild, and all on close.
 * `namespace-runtime.ts` tells it what changed; it decides and writes.
 *
 * @module
 */
import type { Bm25Index } from "../index/bm25.js";
import { discardKeywordTemp, saveKeywordSnapshot } from "../index/bm25-snapshot.js";
import type { HnswIndex } from "../index/hnsw.js";
import { discardSnapshotTemp, saveSnapshot } from "../index/hnsw-snapshot.js";
import { discardSketchTemp, saveSketchSnapshot } from "../index/sketch-snapshot.js";
import type { SnapshotFileTarget } from "../index/snapshot-file.js";
import type { VectorSketch } from "../index/vector-sketch.js";
import type { NamespaceStore } from "../storage/driver.js";
import { fileSnapshotTarget, type SnapshotTarget, snapshotTarget } from "./runtime-load.js";
import { SnapshotSchedule } from "./snapshot-schedule.js";

/** Options of {@link NamespaceSnapshots}. */
export interface NamespaceSnapshotsOptions {
  store: NamespaceStore;
  /** Changes between two snapshots at least (`snapshotEvery`). */
  every: number;
  /** The indexes to write now (`null`: nothing to write, e.g. the namespace closed). */
  vectors: () => HnswIndex | null;
  keyword: () => Bm25Index | null;
  sketch: () => VectorSketch | null;
  /** The store generation the indexes reflect now. */
  generation: () => number;
  /** Told of a snapshot that could not be written (the previous one stays). */
  onFailure: (error: unknown) => void;
}

/** Both snapshots of a namespace. */
export class NamespaceSnapshots {
  readonly #opts: NamespaceSnapshotsOptions;
  readonly #ann: SnapshotSchedule<HnswIndex, SnapshotTarget>;
  readonly #keyword: SnapshotSchedule<Bm25Index, SnapshotFileTarget>;
  readonly #sketch: SnapshotSchedule<VectorSketch, SnapshotFileTarget>;
  /** No snapshot is written while paused (a key rotation replaces the files). */
  #paused = false;

  constructor(opts: NamespaceSnapshotsOptions) {
    this.#opts = opts;
    const { store, every, onFailure } = opts;
    this.#ann = new SnapshotSchedule({
      target: () => snapshotTarget(store),
      every,
      save: (index, target, generation) => saveSnapshot(index, target.dir, generation, target.cipher),
      lacking: (index) => index.pending,
      discard: (target) => discardSnapshotTemp(target.dir),
      onFailure,
    });
    this.#keyword = new SnapshotSchedule({
      target: () => fileSnapshotTarget(store),
      every,
      save: saveKeywordSnapshot,
      discard: (target) => discardKeywordTemp(target.dir),
      onFailure,
    });
    this.#sketch = new SnapshotSchedule({
      target: () => fileSnapshotTarget(store),
      every,
      save: saveSketchSnapshot,
      discard: (target) => discardSketchTemp(target.dir),
      onFailure,
    });
  }

  /** Where ANN snapshots go (`null`: none are written, see `runtime-load.ts`). */
  annTarget(): SnapshotTarget | null {
    return this.#ann.target();
  }

  /** Where the snapshots built in memory (keyword index, vector sketch) go (`null`: none are written). */
  fileTarget(): SnapshotFileTarget | null {
    return this.#keyword.target();
  }

  /** What the ANN snapshot on disk held when the namespace opened (see {@link SnapshotSchedule.loaded}). */
  loadedAnn(generation: number, lacking: number): void {
    this.#ann.loaded(generation, lacking);
  }

  /** The generation of the keyword snapshot loaded on open (0: none). */
  loadedKeyword(generation: number): void {
    this.#keyword.loaded(generation, 0);
  }

  /** The generation of the sketch snapshot loaded on open (0: none). */
  loadedSketch(generation: number): void {
    this.#sketch.loaded(generation, 0);
  }

  /** A commit reached `generation` in a namespace of `size` memories: writes the snapshots now due. */
  changed(generation: number, size: number): void {
    if (this.#ann.due(generation, size)) void this.writeAnn();
    if (this.#keyword.due(generation, size)) void this.#writeKeyword();
    if (this.#sketch.due(generation, size)) void this.#writeSketch();
  }

  /** The ANN backlog emptied: completes a snapshot that left many vectors out. */
  drained(size: number): void {
    if (this.#ann.completionDue(size)) void this.writeAnn();
  }

  /** A rebuilt graph replaced the index: its snapshot replaces the old graph's. */
  replacedGraph(): void {
    this.#ann.invalidate();
    void this.writeAnn();
  }

  /** Writes the ANN snapshot if it is behind the database (best effort, see `snapshot-schedule.ts`). */
  writeAnn(target?: SnapshotTarget | null): Promise<boolean> {
    if (this.#paused) return Promise.resolve(false);
    return this.#ann.write(this.#opts.vectors, this.#opts.generation, target);
  }

  #writeKeyword(target?: SnapshotFileTarget | null): Promise<boolean> {
    if (this.#paused) return Promise.resolve(false);
    return this.#keyword.write(this.#opts.keyword, this.#opts.generation, target);
  }

  #writeSketch(target?: SnapshotFileTarget | null): Promise<boolean> {
    if (this.#paused) return Promise.resolve(false);
    return this.#sketch.write(this.#opts.sketch, this.#opts.generation, target);
  }

  /** Stops writing snapshots, and resolves once none is being written. */
  async pause(): Promise<void> {
    this.#paused = true;
    await this.#idle();
  }

  /** Resolves once neither snapshot is being written or waits to be. */
  async #idle(): Promise<void> {
    await Promise.all([this.#ann.idle(), this.#keyword.idle(), this.#sketch.idle()]);
  }

  /**
   * Writes snapshots again, starting with new ones of both indexes (the files on disk were replaced,
   * e.g. deleted by a key rotation: the new ones are written under the new key).
   */
  resume(): void {
    this.#paused = false;
    this.#ann.invalidate();
    this.#keyword.invalidate();
    this.#sketch.invalidate();
    void this.writeAnn();
    void this.#writeKeyword();
    void this.#writeSketch();
  }

  /**
   * Writes the snapshots if behind (to their current targets, or none with `write: false`) and waits
   * until no write runs. For closing; read the generation beforehand so the watermark is exact.
   */
  async flush(opts: { write: boolean }): Promise<void> {
    const ann = opts.write ? this.annTarget() : null;
    const files = opts.write ? this.fileTarget() : null;
    await Promise.all([this.writeAnn(ann), this.#writeKeyword(files), this.#writeSketch(files)]);
    await this.#idle();
  }
}
