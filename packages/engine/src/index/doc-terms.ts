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
  /** Open {@link freeze}s, told before each change. */
  readonly #freezes = new Set<DocTermFreeze>();

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

  /** A copy of the contents, compacted (live records only). */
  state(): DocTermState {
    const frozen = this.freeze();
    try {
      const state = {
        labels: new Uint32Array(frozen.size),
        offsets: new Uint32Array(frozen.size),
        arena: new Uint32Array(frozen.liveLength),
      };
      for (const _ of frozen.copySteps(state));
      return state;
    } finally {
      frozen.release();
    }
  }

  /** Arena cells the live records take ({@link DocTermState.arena}'s length). */
  get liveLength(): number {
    return this.#used - this.#holes;
  }

  /**
   * The records as they stand now, kept so while the table changes (a record is copied just before
   * its first change), to be copied out in steps ({@link DocTermFreeze.copySteps}). Call
   * {@link DocTermFreeze.release} when done: until then every change checks it.
   */
  freeze(): DocTermFreeze {
    const labels = new Uint32Array(this.#offsets.size);
    let i = 0;
    for (const label of this.#offsets.keys()) labels[i++] = label;
    const frozen: DocTermFreeze = new DocTermFreeze({
      labels,
      liveLength: this.liveLength,
      copy: (label, dst, at) => {
        const from = this.#offsets.get(label);
        if (from === undefined) return 0;
        const src = this.#arena;
        const end = from + HEAD + src[from + 1]!;
        for (let k = from; k < end; k++) dst[at++] = src[k]!;
        return end - from;
      },
      record: (label) => {
        const at = this.#offsets.get(label);
        return at === undefined ? null : this.#arena.slice(at, at + HEAD + this.#arena[at + 1]!);
      },
      release: () => this.#freezes.delete(frozen),
    });
    this.#freezes.add(frozen);
    return frozen;
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
    this.#changing(label);
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
    this.#changing(label);
    const count = this.#arena[at + 1]!;
    const ids = this.#arena.slice(at + HEAD, at + HEAD + count);
    this.#offsets.delete(label);
    this.#holes += HEAD + count;
    return ids;
  }

  /** Keeps `label`'s record as it is now in every open freeze that has not kept one yet. */
  #changing(label: number): void {
    for (const f of this.#freezes) f.changing(label);
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

/** What a {@link DocTermFreeze} reads of its table. */
interface FrozenTable {
  /** The labels held at the freeze. */
  labels: Uint32Array;
  liveLength: number;
  /** Copies `label`'s current record into `dst` at `at`; the cells copied (0: absent). */
  copy: (label: number, dst: Uint32Array, at: number) => number;
  /** A copy of `label`'s current record, or `null`. */
  record: (label: number) => Uint32Array | null;
  release: () => void;
}

/**
 * A {@link DocTermTable}'s records at one moment ({@link DocTermTable.freeze}), copied out in steps
 * while the table keeps changing. The labels held are listed when it freezes (one pass over the label
 * map: ~20 ms at a million documents; collecting them in steps instead could never finish while a
 * turn's writes re-added as many labels to the map's end as a step took), and the table keeps each
 * record's state at the freeze just before its first change. Copying then takes each listed label's
 * record as kept, or, unchanged since, as it is now.
 */
export class DocTermFreeze {
  /** Records at the freeze. */
  readonly size: number;
  /** Arena cells of those records. */
  readonly liveLength: number;
  readonly #table: FrozenTable;
  /** Records changed since the freeze, as they were before (`null`: absent then). */
  readonly #kept = new Map<number, Uint32Array | null>();

  constructor(table: FrozenTable) {
    this.#table = table;
    this.size = table.labels.length;
    this.liveLength = table.liveLength;
  }

  /** Told by the table before `label`'s record changes. */
  changing(label: number): void {
    if (!this.#kept.has(label)) this.#kept.set(label, this.#table.record(label));
  }

  /** Stops keeping records (the table no longer tells this freeze of changes). */
  release(): void {
    this.#table.release();
    this.#kept.clear();
  }

  /**
   * Writes the frozen records into `dst` ({@link size} labels and offsets, {@link liveLength} arena
   * cells), compacted, pausing (`yield`) after every {@link ITEMS_PER_TURN} records.
   * @throws {RangeError} when they do not add up to what was frozen (a change the table did not report)
   */
  *copySteps(dst: DocTermState): Generator<void, void, void> {
    const { labels } = this.#table;
    let used = 0;
    for (let i = 0; i < labels.length; i++) {
      if (i > 0 && i % ITEMS_PER_TURN === 0) yield;
      const label = labels[i]!;
      dst.labels[i] = label;
      dst.offsets[i] = used;
      const kept = this.#kept.get(label);
      if (kept === null) throw new RangeError(`document ${label} was held at the freeze, its record was not`);
      if (kept) for (let k = 0; k < kept.length; k++) dst.arena[used++] = kept[k]!;
      else {
        const cells = this.#table.copy(label, dst.arena, used);
        if (cells === 0) throw new RangeError(`document ${label} vanished without a change`);
        used += cells;
      }
    }
    if (used !== this.liveLength)
      throw new RangeError("the frozen documents do not add up to the table at the freeze");
  }
}
