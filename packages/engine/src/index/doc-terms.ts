/**
 * Per-document term lists of {@link Bm25Index} (each document's length and the ids of its distinct
 * terms, needed to remove it from the postings), packed into one growable `Uint32Array` arena:
 * `[length, count, id₁ … id_count]` at an offset per document. A typed array per document would cost
 * ~350 bytes of object and allocator overhead each (300 MB at a million memories); the arena costs
 * the ids plus one map entry. Removed records leave holes, compacted away once they are half the arena.
 *
 * @module
 */
import { ITEMS_PER_TURN, nextTurn } from "../util/file-chunks.js";

const HEAD = 2;
const MIN_COMPACT = 1 << 16;
/** Arena cells copied per step of {@link DocTermTable.copySteps} (records: {@link ITEMS_PER_TURN}). */
const ARENA_PER_STEP = 16 * ITEMS_PER_TURN;

/** A {@link DocTermTable}'s contents in flat arrays (for snapshots): `arena` holds no holes. */
export interface DocTermState {
  labels: Uint32Array;
  /** Offset in `arena` of each label's record (`[length, count, ids…]`). */
  offsets: Uint32Array;
  arena: Uint32Array;
}

/** Documents' lengths and term ids. */
export class DocTermTable {
  #arena: Uint32Array = new Uint32Array(1024);
  #used = 0;
  #holes = 0;
  /** label → offset of its record. */
  readonly #offsets = new Map<number, number>();

  /**
   * A table over `state` (its arrays are used as they are, not copied: the table takes them over),
   * {@link ITEMS_PER_TURN} records per turn of the event loop.
   * @throws {RangeError} when an offset points outside the arena
   */
  static async restore(state: DocTermState): Promise<DocTermTable> {
    const table = new DocTermTable();
    const { labels, offsets, arena } = state;
    for (let i = 0; i < labels.length; i++) {
      if (i > 0 && i % ITEMS_PER_TURN === 0) await nextTurn();
      const at = offsets[i]!;
      if (at + HEAD > arena.length || at + HEAD + arena[at + 1]! > arena.length)
        throw new RangeError(`document ${labels[i]} lies outside the term arena`);
      table.#offsets.set(labels[i]!, at);
    }
    table.#arena = arena;
    table.#used = arena.length;
    return table;
  }

  /** A copy of the contents, compacted (live records only, in insertion order). */
  state(): DocTermState {
    const state = {
      labels: new Uint32Array(this.size),
      offsets: new Uint32Array(this.size),
      arena: new Uint32Array(this.liveLength),
    };
    for (const _ of this.copySteps(state));
    return state;
  }

  /** Arena cells the live records take ({@link DocTermState.arena}'s length). */
  get liveLength(): number {
    return this.#used - this.#holes;
  }

  /**
   * Writes the contents into `dst` ({@link size} labels and offsets, {@link liveLength} arena
   * cells), compacted, pausing (`yield`) after every {@link ITEMS_PER_TURN} records or arena chunk:
   * at a million memories a single pass takes hundreds of milliseconds. Valid only while the table
   * does not change between the steps.
   */
  *copySteps(dst: DocTermState): Generator<void, void, void> {
    const src = this.#arena;
    let i = 0;
    let used = 0;
    if (this.#holes === 0) {
      // Records lie back to back in insertion order: the arena is copied as it is.
      for (const [label, at] of this.#offsets) {
        if (i > 0 && i % ITEMS_PER_TURN === 0) yield;
        dst.labels[i] = label;
        dst.offsets[i++] = at;
      }
      for (let at = 0; at < this.#used; at += ARENA_PER_STEP) {
        yield;
        dst.arena.set(src.subarray(at, Math.min(this.#used, at + ARENA_PER_STEP)), at);
      }
      return;
    }
    for (const [label, at] of this.#offsets) {
      if (i > 0 && i % ITEMS_PER_TURN === 0) yield;
      const end = at + HEAD + src[at + 1]!;
      dst.labels[i] = label;
      dst.offsets[i++] = used;
      for (let k = at; k < end; k++) dst.arena[used++] = src[k]!;
    }
  }

  get size(): number {
    return this.#offsets.size;
  }

  /** The labels of the documents held. */
  labels(): IterableIterator<number> {
    return this.#offsets.keys();
  }

  has(label: number): boolean {
    return this.#offsets.has(label);
  }

  /** The document's length in terms, or `undefined` when absent. */
  length(label: number): number | undefined {
    const at = this.#offsets.get(label);
    return at === undefined ? undefined : this.#arena[at]!;
  }

  /** Records a document (replacing a previous record of the same label). */
  set(label: number, length: number, termIds: readonly number[]): void {
    this.delete(label);
    const need = HEAD + termIds.length;
    if (this.#used + need > this.#arena.length) this.#reserve(need);
    const at = this.#used;
    this.#arena[at] = length;
    this.#arena[at + 1] = termIds.length;
    for (let i = 0; i < termIds.length; i++) this.#arena[at + HEAD + i] = termIds[i]!;
    this.#used += need;
    this.#offsets.set(label, at);
  }

  /** Removes a document; returns its term ids (empty when absent). */
  delete(label: number): Uint32Array {
    const at = this.#offsets.get(label);
    if (at === undefined) return new Uint32Array(0);
    const count = this.#arena[at + 1]!;
    const ids = this.#arena.slice(at + HEAD, at + HEAD + count);
    this.#offsets.delete(label);
    this.#holes += HEAD + count;
    return ids;
  }

  #reserve(need: number): void {
    if (this.#holes * 2 > this.#used && this.#used > MIN_COMPACT) this.#compact();
    if (this.#used + need <= this.#arena.length) return;
    let capacity = Math.max(1024, this.#arena.length * 2);
    while (capacity < this.#used + need) capacity *= 2;
    const next = new Uint32Array(capacity);
    next.set(this.#arena.subarray(0, this.#used));
    this.#arena = next;
  }

  /** Moves the live records to the front (in label order of insertion), dropping the holes. */
  #compact(): void {
    const next = new Uint32Array(this.#arena.length);
    let used = 0;
    for (const [label, at] of this.#offsets) {
      const len = HEAD + this.#arena[at + 1]!;
      next.set(this.#arena.subarray(at, at + len), used);
      this.#offsets.set(label, used);
      used += len;
    }
    this.#arena = next;
    this.#used = used;
    this.#holes = 0;
  }
}
