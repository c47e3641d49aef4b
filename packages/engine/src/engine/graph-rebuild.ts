/**
 * Online rebuild of a namespace's ANN graph with other parameters (`vectorIndex.m` /
 * `vectorIndex.efConstruction` changed on a namespace that holds memories, here or, on shared storage,
 * by another engine). The graph's degree and build beam are fixed when it is built, so a new graph is
 * built beside the one in use:
 *
 * - the stored vectors are read in pages ({@link REBUILD_PAGE}) and inserted into the new graph in the
 *   background, in the index's own time slices, between other work;
 * - meanwhile searches use the current graph, and every write and delete goes to both graphs (the
 *   runtime calls {@link GraphRebuild.upsert} / {@link GraphRebuild.remove}): a vector a write put into
 *   the new graph is newer than the page read, so the page's copy is skipped, and a memory deleted
 *   since its page was read is skipped too (the current graph no longer holds it);
 * - once every page is in, the runtime swaps the graphs and frees the old one.
 *
 * Two graphs are in memory until the swap. A restart during a rebuild loads the old graph's snapshot
 * and starts again; closing the namespace cancels it. `graph-rebuilder.ts` starts, replaces, retries and
 * swaps these rebuilds for a namespace.
 *
 * @module
 */
import type { HnswIndex } from "../index/hnsw.js";

/** Stored vectors read per rebuild step (then inserted in time slices of `DRAIN_SLICE_MS`). */
export const REBUILD_PAGE = 256;

/** Options of {@link GraphRebuild}. */
export interface GraphRebuildOptions {
  /** The empty graph to fill, built with the new parameters. */
  next: HnswIndex;
  /** The graph searches use now (the authority on which memories are live). */
  current: () => HnswIndex | null;
  /** The memories to copy: every live one when the rebuild starts (later writes arrive by upsert). */
  seqs: readonly number[];
  /** Reads stored vectors by seq. */
  read: (seqs: readonly number[]) => Promise<Map<number, Float32Array>>;
}

/** A rebuild in progress (see the module comment). */
export class GraphRebuild {
  readonly next: HnswIndex;
  readonly #current: () => HnswIndex | null;
  readonly #seqs: readonly number[];
  readonly #read: GraphRebuildOptions["read"];
  #copied = 0;
  #cancelled = false;
  #running: Promise<boolean> | null = null;

  constructor(opts: GraphRebuildOptions) {
    this.next = opts.next;
    this.#current = opts.current;
    this.#seqs = opts.seqs;
    this.#read = opts.read;
  }

  /** Memories still to be copied into the new graph (pages not yet read, plus vectors not yet inserted). */
  get pending(): number {
    return this.#cancelled ? 0 : this.#seqs.length - this.#copied + this.next.pending;
  }

  /** A committed write's vector, for the new graph too. */
  upsert(seq: number, vector: Float32Array): void {
    if (!this.#cancelled) this.next.upsert(seq, vector);
  }

  /** A committed delete, for the new graph too. */
  remove(seq: number): void {
    if (!this.#cancelled) this.next.remove(seq);
  }

  /**
   * Copies every page into the new graph; resolves `true` once it holds every live vector, `false`
   * when cancelled first. Rejects when a read fails (the new graph is then discarded by the caller).
   */
  run(): Promise<boolean> {
    this.#running ??= this.#copy();
    return this.#running;
  }

  async #copy(): Promise<boolean> {
    for (let from = 0; from < this.#seqs.length; from += REBUILD_PAGE) {
      if (this.#cancelled) return false;
      const page = this.#seqs.slice(from, from + REBUILD_PAGE);
      const vectors = await this.#read(page);
      if (this.#cancelled) return false;
      const current = this.#current();
      for (const [seq, vector] of vectors) {
        // A write since the read put a newer vector here; a delete since the read removed it.
        if (!this.next.has(seq) && current?.has(seq)) this.next.upsert(seq, vector);
      }
      this.#copied = Math.min(this.#seqs.length, from + REBUILD_PAGE);
      await this.next.whenIndexed();
    }
    await this.next.whenIndexed();
    return !this.#cancelled;
  }

  /** Stops the rebuild and frees the new graph. */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.next.dispose();
  }
}
