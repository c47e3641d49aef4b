/**
 * The pending table of {@link HnswIndex}: unit vectors accepted but not yet in the graph, by label,
 * oldest first, copied into slabs of contiguous floats.
 *
 * A typed array per vector would cost an allocation of its own (2 KB at 512-d), and the C allocator
 * keeps such small blocks once they are freed: a full table of 100,000 vectors left ~200 MB resident
 * after it drained, for good. Slabs grow from {@link FIRST_SLAB} vectors to {@link SLAB_BYTES} (large
 * enough to be mapped from the system of their own, and given back to it when freed); freed slots are
 * reused, and when the table empties every slab is let go.
 *
 * @module
 */

/** Vectors in the first slab (each next slab holds twice as many, up to {@link SLAB_BYTES}). */
export const FIRST_SLAB = 64;
/**
 * Largest slab, in bytes: above glibc's largest mmap threshold (32 MiB), so a full-size slab is its
 * own mapping and goes back to the system when it is freed.
 */
export const SLAB_BYTES = 64 * 1024 * 1024;
/** Slots per slab in a slot number (`slab × SPAN + index`, kept a small integer). */
const SPAN = 1 << 22;

/** Vectors by label, in insertion order, stored in slabs. */
export class PendingVectors {
  readonly dimensions: number;
  /** label → slot (`slab × SPAN + index`), oldest first. */
  readonly #slots = new Map<number, number>();
  #slabs: Float32Array[] = [];
  /** Slots of the next index in the last slab. */
  #next = 0;
  /** Freed slots, reused before the last slab grows. */
  #free: number[] = [];

  constructor(dimensions: number) {
    this.dimensions = dimensions;
  }

  get size(): number {
    return this.#slots.size;
  }

  /** Float cells allocated (for tests and diagnostics). */
  get capacity(): number {
    let cells = 0;
    for (const slab of this.#slabs) cells += slab.length;
    return cells;
  }

  has(label: number): boolean {
    return this.#slots.has(label);
  }

  labels(): IterableIterator<number> {
    return this.#slots.keys();
  }

  /**
   * Stores `vector` scaled to unit length under `label`. A new label goes last; a label already held
   * keeps its place (its vector is overwritten).
   * @throws {RangeError} when the vector's length is not {@link dimensions}
   */
  set(label: number, vector: Float32Array): void {
    if (vector.length !== this.dimensions)
      throw new RangeError(`a vector of ${vector.length} dimensions in a ${this.dimensions}-d table`);
    let slot = this.#slots.get(label);
    if (slot === undefined) {
      slot = this.#allocate();
      this.#slots.set(label, slot);
    }
    const [slab, at] = this.#locate(slot);
    let n = 0;
    for (let i = 0; i < vector.length; i++) n += vector[i]! * vector[i]!;
    const scale = n === 0 || Math.abs(n - 1) < 1e-6 ? 1 : 1 / Math.sqrt(n);
    for (let i = 0; i < vector.length; i++) slab[at + i] = vector[i]! * scale;
  }

  /** A copy of `label`'s unit vector, or `undefined`. */
  get(label: number): Float32Array | undefined {
    const slot = this.#slots.get(label);
    if (slot === undefined) return undefined;
    const [slab, at] = this.#locate(slot);
    return slab.slice(at, at + this.dimensions);
  }

  /** `label`'s vector as a plain array (as hnswlib-node takes it), or `undefined`. */
  plain(label: number): number[] | undefined {
    const slot = this.#slots.get(label);
    if (slot === undefined) return undefined;
    const [slab, at] = this.#locate(slot);
    const out = new Array<number>(this.dimensions);
    for (let i = 0; i < out.length; i++) out[i] = slab[at + i]!;
    return out;
  }

  /** The dot product of `q` (of {@link dimensions}) with `label`'s unit vector, or `undefined`. */
  dot(label: number, q: Float32Array): number | undefined {
    const slot = this.#slots.get(label);
    return slot === undefined ? undefined : this.#dotAt(slot, q);
  }

  /** Calls `fn` with each label and the dot product of `q` with its vector, oldest first. */
  forEachDot(q: Float32Array, fn: (label: number, dot: number) => void): void {
    for (const [label, slot] of this.#slots) fn(label, this.#dotAt(slot, q));
  }

  /** The oldest label, or `undefined` when empty. */
  oldest(): number | undefined {
    return this.#slots.keys().next().value;
  }

  /** Removes `label`; whether it was held. */
  delete(label: number): boolean {
    const slot = this.#slots.get(label);
    if (slot === undefined) return false;
    this.#slots.delete(label);
    if (this.#slots.size === 0) this.clear();
    else this.#free.push(slot);
    return true;
  }

  /** Removes every vector and lets every slab go. */
  clear(): void {
    this.#slots.clear();
    this.#slabs = [];
    this.#free = [];
    this.#next = 0;
  }

  #dotAt(slot: number, q: Float32Array): number {
    // No #locate: this runs once per pending vector per search, so it allocates nothing.
    const s = (slot / SPAN) | 0;
    const slab = this.#slabs[s]!;
    const dims = this.dimensions;
    const at = (slot - s * SPAN) * dims;
    let sum = 0;
    for (let i = 0; i < dims; i++) sum += q[i]! * slab[at + i]!;
    return sum;
  }

  #locate(slot: number): [Float32Array, number] {
    const slab = (slot / SPAN) | 0;
    return [this.#slabs[slab]!, (slot - slab * SPAN) * this.dimensions];
  }

  #allocate(): number {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    const last = this.#slabs.length - 1;
    if (last < 0 || this.#next * this.dimensions === this.#slabs[last]!.length) {
      this.#slabs.push(new Float32Array(this.#slabCapacity(last + 1) * this.dimensions));
      this.#next = 0;
    }
    return (this.#slabs.length - 1) * SPAN + this.#next++;
  }

  /** Vectors in slab `i`: doubling from {@link FIRST_SLAB} up to {@link SLAB_BYTES} (and {@link SPAN}). */
  #slabCapacity(i: number): number {
    const largest = Math.max(FIRST_SLAB, Math.min(SPAN, Math.floor(SLAB_BYTES / (4 * this.dimensions))));
    return Math.min(largest, FIRST_SLAB * 2 ** Math.min(i, 30));
  }
}
