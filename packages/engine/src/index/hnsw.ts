/**
 * {@link VectorIndex} on hnswlib-node (cosine space), with our own label bookkeeping:
 * labels are the storage `seq` numbers, deletes use `markDelete`, deleted slots are reused, and the
 * index doubles its capacity when full. Snapshots are written to a temp file and renamed into place,
 * with a checksum so a torn or corrupt snapshot is detected and rebuilt instead of loaded.
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

import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import hnswlib from "hnswlib-node";
import { checkIndexFile, fileSha256 } from "./hnsw-file.js";
import { decryptFile, encryptFile, type SnapshotCipher } from "./snapshot-cipher.js";
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

/** What a snapshot's sidecar file records. */
export interface HnswSnapshotMeta {
  /** Storage generation the snapshot includes. */
  generation: number;
  dimensions: number;
  /** SHA-256 of the index file (as stored: encrypted when `encrypted`). */
  sha256: string;
  /** The file is encrypted ({@link SnapshotCipher}). */
  encrypted?: boolean;
  /** The graph's degree and build beam (absent in snapshots written before they were options: 16, 100). */
  m?: number;
  efConstruction?: number;
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

const INDEX_FILE = "vectors.hnsw";
const META_FILE = "vectors.json";

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
  readonly #pending = new Map<number, Float32Array>();
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

  constructor(opts: HnswIndexOptions, loaded?: Hnsw) {
    this.dimensions = opts.dimensions;
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
    return this.#live.size + this.#pending.size;
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
    yield* this.#pending.keys();
  }

  upsert(label: number, vector: Float32Array): void {
    if (this.#live.has(label)) {
      // Updating in place: never with replaceDeleted, which could move the label to another slot.
      this.#index.addPoint(plain(vector), label, false);
      return;
    }
    this.#pending.set(label, unit(vector));
    if (this.#pending.size > this.#maxPending) {
      const [oldest, v] = this.#pending.entries().next().value!;
      this.#pending.delete(oldest);
      this.#insert(oldest, v);
    }
    this.#scheduleDrain();
  }

  /** Inserts one pending label into the graph. */
  #insert(label: number, vector: Float32Array): void {
    const deleted = this.#index.getCurrentCount() - this.#live.size;
    if (deleted === 0 && this.#index.getCurrentCount() >= this.#index.getMaxElements()) {
      this.#index.resizeIndex(Math.max(1024, this.#index.getMaxElements() * 2));
    }
    this.#index.addPoint(plain(vector), label, deleted > 0);
    this.#live.add(label);
  }

  #scheduleDrain(): void {
    if (this.#draining || this.#pending.size === 0) return;
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
    const until = performance.now() + budgetMs;
    for (const [label, vector] of this.#pending) {
      this.#pending.delete(label);
      this.#insert(label, vector);
      if (performance.now() >= until) break;
    }
    if (this.#pending.size > 0) {
      this.#scheduleDrain();
      return;
    }
    for (const done of this.#idle.splice(0)) done();
    this.#onIndexed?.();
  }

  /** Inserts every pending label into the graph now. */
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
    // hnswlib-node frees the previous graph when an index is re-initialised.
    this.#index.initIndex({ maxElements: 1, m: 2, efConstruction: 2, randomSeed: 1 });
    for (const done of this.#idle.splice(0)) done();
  }

  remove(label: number): void {
    if (this.#pending.delete(label)) {
      if (this.#pending.size === 0) for (const done of this.#idle.splice(0)) done();
      return;
    }
    if (!this.#live.delete(label)) return;
    this.#index.markDelete(label);
  }

  search(query: Float32Array, k: number, filter?: (label: number) => boolean): VectorHit[] {
    const n = Math.min(k, this.#live.size);
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
    }
    if (this.#pending.size === 0) return hits;
    // Pending labels: exact similarities, merged with the graph's hits.
    const q = unit(query);
    for (const [label, v] of this.#pending) {
      if (!filter || filter(label)) hits.push({ label, similarity: dot(q, v) });
    }
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
      const pending = this.#pending.get(label);
      if (pending) out.set(label, dot(q, pending));
      else if (this.#live.has(label)) out.set(label, dot(this.#index.getPoint(label), q));
    }
    return out;
  }

  /**
   * Writes a snapshot (temp file + rename) recording the storage generation it includes. hnswlib
   * reports no write errors (a full disk leaves a short or empty file), so the temp file's layout is
   * checked to hold every element ({@link checkIndexFile}) before it replaces the current snapshot; otherwise this
   * throws and the current snapshot stays. Pending labels are not in it; {@link HnswIndex.load}'s
   * caller re-adds the live labels a snapshot lacks (call {@link HnswIndex.flush} first for a
   * complete snapshot). With a `cipher`, the file is stored encrypted ({@link SnapshotCipher}).
   */
  save(dir: string, generation: number, cipher?: SnapshotCipher): void {
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `${INDEX_FILE}.tmp`);
    // Encrypted: the plaintext goes to a scratch file in RAM only, and is encrypted into place.
    const plain = cipher ? join(cipher.scratchDir, `loci-ann-${randomUUID()}.hnsw`) : tmp;
    try {
      this.#index.writeIndexSync(plain);
      try {
        checkIndexFile(plain, { count: this.#index.getCurrentCount(), dimensions: this.dimensions });
      } catch (err) {
        throw new Error(`the ANN snapshot written to ${plain} is incomplete (is the disk full?)`, {
          cause: err,
        });
      }
      if (cipher) encryptFile(plain, tmp, cipher.key);
    } finally {
      if (cipher) rmSync(plain, { force: true });
    }
    const sha256 = fileSha256(tmp);
    renameSync(tmp, join(dir, INDEX_FILE));
    const meta: HnswSnapshotMeta = {
      generation,
      dimensions: this.dimensions,
      m: this.#m,
      efConstruction: this.#efConstruction,
      sha256,
      ...(cipher ? { encrypted: true } : {}),
    };
    writeFileSync(join(dir, `${META_FILE}.tmp`), JSON.stringify(meta));
    renameSync(join(dir, `${META_FILE}.tmp`), join(dir, META_FILE));
  }

  /**
   * Loads a snapshot if it exists, matches the dimension, the graph parameters (`m`,
   * `efConstruction`; any with `anyGraph`, and the index then keeps the snapshot's) and its checksum;
   * `null` otherwise. `live` is the set of labels the storage holds: labels outside it are treated as
   * deleted.
   */
  static load(
    dir: string,
    opts: HnswIndexOptions & { live: Iterable<number>; cipher?: SnapshotCipher; anyGraph?: boolean },
  ): { index: HnswIndex; generation: number } | null {
    const metaFile = join(dir, META_FILE);
    const indexFile = join(dir, INDEX_FILE);
    if (!existsSync(metaFile) || !existsSync(indexFile)) return null;
    try {
      const meta = JSON.parse(readFileSync(metaFile, "utf8")) as HnswSnapshotMeta;
      if (meta.dimensions !== opts.dimensions) return null;
      const { m, efConstruction } = HNSW_DEFAULTS;
      const graph = { m: meta.m ?? m, efConstruction: meta.efConstruction ?? efConstruction };
      const other =
        graph.m !== (opts.m ?? m) || graph.efConstruction !== (opts.efConstruction ?? efConstruction);
      if (other && !opts.anyGraph) return null;
      if (fileSha256(indexFile) !== meta.sha256) return null;
      if (Boolean(meta.encrypted) !== Boolean(opts.cipher)) return null;
      const raw = new HierarchicalNSW("cosine", opts.dimensions);
      if (opts.cipher) {
        const plain = join(opts.cipher.scratchDir, `loci-ann-${randomUUID()}.hnsw`);
        try {
          if (!decryptFile(indexFile, plain, opts.cipher.key)) return null;
          raw.readIndexSync(plain, true);
        } finally {
          rmSync(plain, { force: true });
        }
      } else raw.readIndexSync(indexFile, true);
      const index = new HnswIndex({ ...opts, ...graph }, raw);
      const inIndex = new Set(raw.getIdsList());
      const wanted = new Set(opts.live);
      for (const label of inIndex) {
        if (wanted.has(label)) index.#live.add(label);
        else {
          try {
            raw.markDelete(label);
          } catch {
            // already marked deleted in the snapshot
          }
        }
      }
      return { index, generation: meta.generation };
    } catch {
      return null;
    }
  }

  /** Removes the temp files of an interrupted {@link HnswIndex.save} (ignoring errors). */
  static discardTemp(dir: string): void {
    for (const file of [`${INDEX_FILE}.tmp`, `${META_FILE}.tmp`]) {
      try {
        rmSync(join(dir, file), { force: true });
      } catch {
        // nothing to clean up, or the directory is unreachable
      }
    }
  }

  /** Removes a snapshot (used when it is found unusable). */
  static drop(dir: string): void {
    rmSync(join(dir, INDEX_FILE), { force: true });
    rmSync(join(dir, META_FILE), { force: true });
  }
}
