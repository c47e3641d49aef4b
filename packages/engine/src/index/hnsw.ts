/**
 * {@link VectorIndex} on hnswlib-node (cosine space), with our own label bookkeeping:
 * labels are the storage `seq` numbers, deletes use `markDelete`, deleted slots are reused, and the
 * index doubles its capacity when full. Snapshots: `hnsw-snapshot.ts` (the graph file is written by
 * {@link HnswIndex.writeGraph} on a worker thread while the graph is held unchanged).
 *
 * **Deferred graph insertion.** Inserting into the HNSW graph is the most expensive part of a write
 * (~1 ms per 512-d vector), so a new label is first kept in a pending table and inserted into the
 * graph in the background, in time slices of at most {@link DRAIN_SLICE_MS} between other work.
 * Every read sees pending labels: searches score them exactly (brute force) and merge them with the
 * graph's hits, so a vector is searchable as soon as {@link HnswIndex.upsert} returns and a filtered
 * or unfiltered top-k is never missing it. {@link HnswIndex.whenIndexed} resolves once the graph has
 * caught up; {@link HnswIndex.flush} inserts everything pending at once.
 *
 * @module
 */

import hnswlib from "hnswlib-node";
import { ITEMS_PER_TURN, nextTurn } from "../util/file-chunks.js";
import { PendingVectors } from "./pending-vectors.js";
import type { VectorHit, VectorIndex } from "./vector-index.js";

const { HierarchicalNSW } = hnswlib;
type Hnsw = InstanceType<typeof HierarchicalNSW>;

/** Options of {@link HnswIndex}. */
export interface HnswIndexOptions {
  dimensions: number;
  /** Graph degree. @default 16 */
  m?: number;
  /** Build-time candidate list size. @default 100 */
  efConstruction?: number;
  /**
   * Minimum search-time candidate list size (raised to `k` when needed) for a graph of up to
   * {@link EF_SCALE_FROM} elements; graphs of up to {@link EXHAUSTIVE_UP_TO} are walked whole and
   * larger ones than EF_SCALE_FROM search with a wider beam ({@link searchBeam}).
   * @default 64
   */
  efSearch?: number;
  /** Graph size past which the beam widens ({@link searchBeam}). @default EF_SCALE_FROM (100,000) */
  efScaleFrom?: number;
  /** Initial capacity. @default 1024 */
  initialCapacity?: number;
  /**
   * Most labels kept pending (accepted, not yet in the graph); past it, an upsert inserts the oldest
   * pending labels into the graph before it returns, so memory stays bounded under sustained writes.
   * @default 100000
   */
  maxPending?: number;
  /** Called whenever background insertion has emptied the pending table. */
  onIndexed?: () => void;
}

/**
 * Graph size up to which a walk's beam holds the whole graph, so it visits every element and its top k
 * is exact: each element's distance is computed once, so this costs about a brute force (~0.1 ms at
 * 1,024 512-d vectors) and small namespaces, the common case for an agent's memory, never miss a
 * neighbour (a beam of 64 missed one of the top 10 in a 300-memory namespace of hash embeddings).
 */
export const EXHAUSTIVE_UP_TO = 1024;

/** The graph parameters when none are given (and of snapshots written before they were recorded). */
export const HNSW_DEFAULTS = { m: 16, efConstruction: 100, efSearch: 64 } as const;

/** Graph size up to which the search beam is `efSearch`; past it the beam grows with the graph. */
export const EF_SCALE_FROM = 100_000;

/**
 * The search beam of a graph of `size` elements: the whole graph up to {@link EXHAUSTIVE_UP_TO},
 * `efSearch` up to {@link EF_SCALE_FROM}, then
 * `efSearch × (1 + log2(size / EF_SCALE_FROM))` (×2 at 200k, ×2.6 at 300k, ×4.3 at 1M). A fixed beam
 * finds less of the true top k as the graph grows: on the benchmark's clustered 512-d vectors (M 16,
 * efConstruction 100) recall@10 at a beam of 64 was 1.000 at 100k, 0.893 at 300k (beam 128: 0.953,
 * 256: 0.973) and 0.456 at 1M.
 */
export function searchBeam(efSearch: number, size: number, scaleFrom = EF_SCALE_FROM): number {
  if (size <= EXHAUSTIVE_UP_TO) return Math.max(efSearch, size);
  return size <= scaleFrom ? efSearch : Math.ceil(efSearch * (1 + Math.log2(size / scaleFrom)));
}

/** The search beam (efSearch) of a filtered graph walk, relative to an unfiltered one. */
export const FILTERED_EF_FACTOR = 1.5;

/** Longest run of background graph insertions before yielding to other work. */
export const DRAIN_SLICE_MS = 5;

function dot(a: Float32Array | number[], b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i++) s += (a[i] as number) * b[i]!;
  return s;
}

/**
 * A vector as the plain array hnswlib-node takes. A counted loop: `Array.from` on a typed array goes
 * through the iterator protocol (~16 µs for 512 dimensions, against ~1 µs here, per search).
 */
function plain(v: Float32Array): number[] {
  const out = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]!;
  return out;
}

function unit(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  if (n === 0 || Math.abs(n - 1) < 1e-6) return v;
  const inv = 1 / Math.sqrt(n);
  return v.map((x) => x * inv);
}

/** hnswlib-backed {@link VectorIndex}. */
export class HnswIndex implements VectorIndex {
  readonly dimensions: number;
  readonly #index: Hnsw;
  /** Labels in the graph (not deleted). */
  readonly #live = new Set<number>();
  /** Labels accepted but not yet in the graph: label → unit vector. */
  readonly #pending: PendingVectors;
  #draining: NodeJS.Timeout | null = null;
  #idle: (() => void)[] = [];
  #efSearch: number;
  /** The graph's degree and build beam (recorded in snapshots). */
  readonly #m: number;
  readonly #efConstruction: number;
  readonly #efScaleFrom: number;
  readonly #maxPending: number;
  readonly #onIndexed: (() => void) | undefined;
  #ef = 0;
  /** The graph write in progress ({@link writeGraph}): the graph is not changed until it ends. */
  #writing: Promise<void> | null = null;
  /** Labels whose graph element is outdated: updated (the new vector pending) or deleted while writing. */
  readonly #stale = new Set<number>();
  /** Deletes held back while the graph is written. */
  readonly #deferredDeletes: number[] = [];
  /** {@link dispose} was called while the graph was written: free it once the write ends. */
  #disposeAfterWrite = false;

  constructor(opts: HnswIndexOptions, loaded?: Hnsw) {
    this.dimensions = opts.dimensions;
    this.#pending = new PendingVectors(opts.dimensions);
    this.#efSearch = opts.efSearch ?? HNSW_DEFAULTS.efSearch;
    this.#m = opts.m ?? HNSW_DEFAULTS.m;
    this.#efConstruction = opts.efConstruction ?? HNSW_DEFAULTS.efConstruction;
    this.#efScaleFrom = opts.efScaleFrom ?? EF_SCALE_FROM;
    this.#maxPending = opts.maxPending ?? 100_000;
    this.#onIndexed = opts.onIndexed;
    if (loaded) {
      this.#index = loaded;
    } else {
      this.#index = new HierarchicalNSW("cosine", opts.dimensions);
      this.#index.initIndex({
        maxElements: opts.initialCapacity ?? 1024,
        m: this.#m,
        efConstruction: this.#efConstruction,
        randomSeed: 100,
        allowReplaceDeleted: true,
      });
    }
  }

  get size(): number {
    let updates = 0; // pending new vectors of graph elements (counted once, as live)
    for (const label of this.#stale) if (this.#pending.has(label)) updates++;
    return this.#live.size + this.#pending.size - updates;
  }

  /** The graph's degree (fixed when it is built). */
  get m(): number {
    return this.#m;
  }

  /** The graph's build beam (fixed when it is built). */
  get efConstruction(): number {
    return this.#efConstruction;
  }

  /** Labels accepted but not yet inserted into the graph. */
  get pending(): number {
    return this.#pending.size;
  }

  has(label: number): boolean {
    return this.#live.has(label) || this.#pending.has(label);
  }

  *labels(): IterableIterator<number> {
    yield* this.#live;
    for (const label of this.#pending.labels()) if (!this.#live.has(label)) yield label;
  }

  upsert(label: number, vector: Float32Array): void {
    if (this.#live.has(label)) {
      if (this.#writing || this.#stale.has(label)) {
        // The graph is being written (or still holds an older update): the new vector waits as pending.
        this.#pending.set(label, vector);
        this.#stale.add(label);
        this.#scheduleDrain();
        return;
      }
      // Updating in place: never with replaceDeleted, which could move the label to another slot.
      this.#index.addPoint(plain(vector), label, false);
      return;
    }
    this.#pending.set(label, vector);
    if (this.#pending.size > this.#maxPending && !this.#writing) this.#insertPending(this.#pending.oldest()!);
    this.#scheduleDrain();
  }

  /** Moves one pending label into the graph (or updates its element in place). */
  #insertPending(label: number): void {
    const vector = this.#pending.plain(label)!;
    this.#pending.delete(label);
    if (this.#live.has(label)) {
      this.#index.addPoint(vector, label, false);
      this.#stale.delete(label);
      return;
    }
    const deleted = this.#index.getCurrentCount() - this.#live.size;
    if (deleted === 0 && this.#index.getCurrentCount() >= this.#index.getMaxElements()) {
      this.#index.resizeIndex(Math.max(1024, this.#index.getMaxElements() * 2));
    }
    this.#index.addPoint(vector, label, deleted > 0);
    this.#live.add(label);
  }

  #scheduleDrain(): void {
    if (this.#writing || this.#draining || this.#pending.size === 0) return;
    // A timer, not an immediate: an unref'd immediate runs only when something else wakes the event
    // loop, an unref'd timer runs on time whenever the loop is alive. Pending labels are durable and
    // re-indexed on open, so only a waiter (whenIndexed) keeps a process alive for them.
    this.#draining = setTimeout(() => {
      this.#draining = null;
      this.#drain(DRAIN_SLICE_MS);
    }, 0);
    if (this.#idle.length === 0) this.#draining.unref();
  }

  #drain(budgetMs: number): void {
    if (this.#writing) return; // resumed when the write ends
    const until = performance.now() + budgetMs;
    for (let label = this.#pending.oldest(); label !== undefined; label = this.#pending.oldest()) {
      this.#insertPending(label);
      if (performance.now() >= until) break;
    }
    if (this.#pending.size > 0) {
      this.#scheduleDrain();
      return;
    }
    this.#settleIdle();
    this.#onIndexed?.();
  }

  #settleIdle(): void {
    for (const done of this.#idle.splice(0)) done();
  }

  /** Inserts every pending label into the graph now (unless the graph is being written). */
  flush(): void {
    if (this.#draining) clearTimeout(this.#draining);
    this.#draining = null;
    this.#drain(Number.POSITIVE_INFINITY);
  }

  /** Resolves once every label accepted so far is in the graph. */
  whenIndexed(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#idle.push(resolve);
      // An unref'd drain does not keep the process alive; a waiter does.
      if (this.#draining) this.#draining.ref();
    });
  }

  /**
   * Discards the index: stops background insertion, drops pending labels and frees the graph's native
   * memory now. (The graph lives outside the JavaScript heap, so the garbage collector does not know
   * its size and may keep a discarded one for long: reopening a 1M-memory namespace peaked at 5.7 GB
   * resident, two graphs at once.) The index is empty afterwards.
   */
  dispose(): void {
    if (this.#draining) clearTimeout(this.#draining);
    this.#draining = null;
    this.#pending.clear();
    this.#live.clear();
    this.#stale.clear();
    this.#deferredDeletes.length = 0;
    // A graph being written is freed once the write ends (the worker thread still reads it).
    if (this.#writing) this.#disposeAfterWrite = true;
    else this.#free();
    this.#settleIdle();
  }

  #free(): void {
    // hnswlib-node frees the previous graph when an index is re-initialised.
    this.#index.initIndex({ maxElements: 1, m: 2, efConstruction: 2, randomSeed: 1 });
  }

  remove(label: number): void {
    const wasPending = this.#pending.delete(label);
    if (this.#live.delete(label)) {
      if (this.#writing) {
        this.#deferredDeletes.push(label);
        this.#stale.add(label);
      } else {
        this.#index.markDelete(label);
        this.#stale.delete(label);
      }
    }
    if (wasPending && this.#pending.size === 0) this.#settleIdle();
  }

  search(query: Float32Array, k: number, filter?: (label: number) => boolean): VectorHit[] {
    // Outdated elements (see #stale) are still in the graph: ask for more, and drop them.
    const n = Math.min(k + this.#stale.size, this.#live.size + this.#deferredDeletes.length);
    let hits: VectorHit[] = [];
    if (n > 0) {
      // A filtered walk steps over non-matching nodes: a wider beam keeps its recall (≥ 0.95 at a 10%
      // filter on the 100k benchmark, 0.93 with the unfiltered beam).
      const ef = this.beam(n, filter !== undefined);
      if (ef !== this.#ef) {
        this.#index.setEf(ef);
        this.#ef = ef;
      }
      const res = this.#index.searchKnn(plain(query), n, filter);
      hits = res.neighbors.map((label, i) => ({ label, similarity: 1 - res.distances[i]! }));
      if (this.#stale.size > 0) hits = hits.filter((h) => !this.#stale.has(h.label)).slice(0, k);
    }
    if (this.#pending.size === 0) return hits;
    // Pending labels: exact similarities, merged with the graph's hits.
    const q = unit(query);
    this.#pending.forEachDot(q, (label, similarity) => {
      if (!filter || filter(label)) hits.push({ label, similarity });
    });
    hits.sort((a, b) => b.similarity - a.similarity || a.label - b.label);
    return hits.length > k ? hits.slice(0, k) : hits;
  }

  /** Sets the search beam of graphs up to {@link EF_SCALE_FROM} elements (see {@link searchBeam}). */
  setEfSearch(efSearch: number): void {
    this.#efSearch = efSearch;
  }

  /** The beam a search for `k` hits uses now (it grows with the graph, see {@link searchBeam}). */
  beam(k: number, filtered = false): number {
    const base = searchBeam(this.#efSearch, this.#live.size, this.#efScaleFrom);
    return Math.ceil(Math.max(base, k) * (filtered ? FILTERED_EF_FACTOR : 1));
  }

  searchAmong(query: Float32Array, k: number, labels: Iterable<number>): VectorHit[] {
    const hits: VectorHit[] = [];
    for (const [label, similarity] of this.similarities(query, labels)) hits.push({ label, similarity });
    hits.sort((a, b) => b.similarity - a.similarity || a.label - b.label);
    return hits.length > k ? hits.slice(0, k) : hits;
  }

  similarities(query: Float32Array, labels: Iterable<number>): Map<number, number> {
    const q = unit(query);
    const out = new Map<number, number>();
    for (const label of labels) {
      const pending = this.#pending.dot(label, q);
      if (pending !== undefined) out.set(label, pending);
      else if (this.#live.has(label)) out.set(label, dot(this.#index.getPoint(label), q));
    }
    return out;
  }

  /**
   * Writes the graph to `file` (hnswlib's format) on a worker thread, and resolves with the number of
   * elements written. The graph does not change meanwhile: searches go on, new vectors wait in the
   * pending table (scored exactly, as always), an update of a graph element waits there too (searches
   * skip its old vector), and deletes reach the graph when the write is done. One write at a time.
   * Pending vectors are not in the file (see `hnsw-snapshot.ts` for how a snapshot is caught up).
   */
  async writeGraph(file: string): Promise<number> {
    if (this.#writing) throw new Error("the graph is already being written");
    // Updates still pending go in place first: the file must hold no vector older than its generation.
    for (const label of this.#stale) {
      const v = this.#pending.plain(label);
      if (v && this.#live.has(label)) this.#index.addPoint(v, label, false);
      this.#pending.delete(label);
    }
    this.#stale.clear();
    if (this.#pending.size === 0) this.#settleIdle();
    const count = this.#index.getCurrentCount();
    const writing = this.#index.writeIndex(file).then(() => undefined);
    this.#writing = writing;
    try {
      await writing;
    } finally {
      this.#thaw();
    }
    return count;
  }

  /** After a graph write: frees a disposed graph, or applies the deletes held back and resumes insertion. */
  #thaw(): void {
    this.#writing = null;
    if (this.#disposeAfterWrite) {
      this.#disposeAfterWrite = false;
      this.#free();
      return;
    }
    for (const label of this.#deferredDeletes) {
      this.#index.markDelete(label);
      this.#stale.delete(label);
    }
    this.#deferredDeletes.length = 0;
    this.#scheduleDrain();
  }

  /**
   * An index over a graph read from `file` (hnswlib's format, on a worker thread), with graph
   * parameters `opts`; elements whose label is not in `live` (awaited once the graph is read) are
   * marked deleted.
   */
  static async fromFile(
    file: string,
    opts: HnswIndexOptions,
    live: Iterable<number> | Promise<Iterable<number>>,
  ): Promise<HnswIndex> {
    const raw = new HierarchicalNSW("cosine", opts.dimensions);
    await raw.readIndex(file, true);
    const index = new HnswIndex(opts, raw);
    let wanted: Set<number>;
    try {
      wanted = new Set(await live);
    } catch (err) {
      index.dispose();
      throw err;
    }
    const ids = raw.getIdsList();
    for (let i = 0; i < ids.length; i++) {
      // 100k labels take ~50 ms: other work runs in between.
      if (i > 0 && i % ITEMS_PER_TURN === 0) await nextTurn();
      const label = ids[i]!;
      if (wanted.has(label)) index.#live.add(label);
      else {
        try {
          raw.markDelete(label);
        } catch {
          // already marked deleted in the file
        }
      }
    }
    return index;
  }
}
