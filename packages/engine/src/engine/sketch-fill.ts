/**
 * Completes a namespace's vector sketch in the background after open: a loaded ANN snapshot brings
 * the graph, not the vectors, so the sketch comes from its own snapshot (what that can vouch for) and
 * then from the stored vectors, read in pages between other work, until every memory has a sketch. A
 * search reads what is not yet sketched, so results never depend on this.
 *
 * @module
 */
import type { VectorSketch } from "../index/vector-sketch.js";
import { nextTurn } from "../util/file-chunks.js";

/** Vectors read per background sketching step (~2 ms of SQLite reads). */
export const SKETCH_PAGE = 256;

/** Options of {@link fillSketch}. */
export interface FillSketchOptions {
  sketch: VectorSketch;
  /** The memories to sketch (those without one when the fill starts). */
  seqs: readonly number[];
  /** Reads stored vectors by seq. */
  read: (seqs: readonly number[]) => Promise<Map<number, Float32Array>>;
  /** Whether a memory is still live (a deleted one is not sketched). */
  live: (seq: number) => boolean;
  /** Whether to go on (the namespace is open and still uses this sketch). */
  active: () => boolean;
  /** Told of a failed read (the fill stops; searches keep reading those vectors). */
  onFailure: (error: unknown) => void;
}

/** Starts the fill; it stops when done, when the sketch is full, when inactive, or at a failed read. */
export function fillSketch(opts: FillSketchOptions): void {
  const { sketch, seqs } = opts;
  const step = async (from: number): Promise<void> => {
    if (!opts.active() || from >= seqs.length) return;
    const vectors = await opts.read(seqs.slice(from, from + SKETCH_PAGE));
    // A write since the read has sketched its own vector: keep that one. A full sketch stops here.
    for (const [seq, v] of vectors) {
      if (opts.live(seq) && !sketch.has(seq) && !sketch.set(seq, v)) return;
    }
    setTimeout(() => void run(from + SKETCH_PAGE), 0).unref();
  };
  const run = (from: number) =>
    step(from).catch((err: unknown) => {
      if (opts.active()) opts.onFailure(err);
    });
  void run(0);
}

/** Options of {@link completeSketch}. */
export interface CompleteSketchOptions extends Omit<FillSketchOptions, "seqs" | "live"> {
  /** The sketch snapshot read while the namespace opened, with the generation its write began at. */
  snapshot: Promise<{ sketch: VectorSketch; generation: number } | null>;
  /** The store generation the namespace opened at. */
  openedAt: number;
  /** The memories the change log names after a generation. */
  changedSince: (from: number) => Promise<ReadonlySet<number>>;
  /** The namespace's live memories (by seq). */
  docs: ReadonlyMap<number, unknown>;
  /** Told of the snapshot's generation once merged. */
  merged: (generation: number) => void;
}

/**
 * Merges the sketch snapshot into `sketch`, keeping what it can vouch for — memories still live, that
 * the change log names no change of since its generation (their chunk may have been copied before or
 * after the change) and that the sketch lacks (writes since the open sketched their own) — then
 * {@link fillSketch}es the memories still without one. A snapshot ahead of the database the
 * namespace opened (restored from an older copy) is not used.
 */
export async function completeSketch(opts: CompleteSketchOptions): Promise<void> {
  const { sketch, docs } = opts;
  try {
    const loaded = await opts.snapshot;
    if (loaded && loaded.generation <= opts.openedAt && sketch.size < docs.size) {
      const changed = await opts.changedSince(loaded.generation);
      for (const _ of sketch.mergeSteps(loaded.sketch, (seq) => docs.has(seq) && !changed.has(seq))) {
        await nextTurn();
        if (!opts.active()) return;
      }
      opts.merged(loaded.generation);
    }
  } catch (err) {
    if (opts.active()) opts.onFailure(err);
  }
  if (opts.active() && sketch.size < docs.size) {
    fillSketch({
      ...opts,
      seqs: [...docs.keys()].filter((seq) => !sketch.has(seq)),
      live: (seq) => docs.has(seq),
    });
  }
}
