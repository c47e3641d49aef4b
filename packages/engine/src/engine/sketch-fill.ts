/**
 * Fills a namespace's vector sketch in the background after open: a loaded ANN snapshot brings the
 * graph, not the vectors, so the stored vectors are read in pages between other work until every
 * memory has a sketch. A search reads what is not yet sketched, so results never depend on this.
 *
 * @module
 */
import type { VectorSketch } from "../index/vector-sketch.js";

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
