/**
 * How a namespace's derived state is read back from its store when it opens: records and changes in
 * pages, and the ANN index — loaded from its snapshot and caught up, or rebuilt from the stored
 * vectors when the snapshot is missing, stale or corrupt. `namespace-runtime.ts` owns the result.
 *
 * @module
 */
import { HnswIndex, type HnswIndexOptions } from "../index/hnsw.js";
import { dropSnapshot, loadSnapshot } from "../index/hnsw-snapshot.js";
import { ramScratchDir, type SnapshotCipher } from "../index/snapshot-cipher.js";
import type { SnapshotFileTarget } from "../index/snapshot-file.js";
import type { ChangeRecord, MemoryRecord, NamespaceStore } from "../storage/driver.js";
import { ITEMS_PER_TURN, nextTurn } from "../util/file-chunks.js";

/** Records or changes read per query while loading. */
export const LOAD_PAGE = 2_000;

/**
 * Every record of a store in seq order, a page at a time, with a turn of the event loop between pages:
 * an embedded store answers synchronously, and reading 100k memories in one go held every other
 * request (and the snapshot's own threads' callbacks) back for 0.6–0.7 s.
 */
export async function* scanPages(
  store: NamespaceStore,
  opts: { withEmbeddings?: boolean } = {},
): AsyncGenerator<MemoryRecord[]> {
  for (let after = 0; ; ) {
    if (after > 0) await nextTurn();
    const page = await store.scan({ afterSeq: after, limit: LOAD_PAGE, ...opts });
    if (page.length > 0) yield page;
    if (page.length < LOAD_PAGE) return;
    after = page[page.length - 1]!.seq;
  }
}

/** The change log after generation `from`, a page at a time. */
export async function* changePages(store: NamespaceStore, from: number): AsyncGenerator<ChangeRecord[]> {
  for (let g = from; ; ) {
    if (g > from) await nextTurn();
    const changes = await store.changesSince(g, LOAD_PAGE);
    if (changes.length > 0) yield changes;
    if (changes.length < LOAD_PAGE) return;
    g = changes[changes.length - 1]!.generation;
  }
}

/** The memories added or updated after generation `from`, by the change log (deleted ones too). */
export async function changedSince(store: NamespaceStore, from: number): Promise<ReadonlySet<number>> {
  const seqs = new Set<number>();
  for await (const changes of changePages(store, from)) {
    for (const c of changes)
      if (c.type === "memory.added" || c.type === "memory.updated") seqs.add(c.subjectSeq);
  }
  return seqs;
}

/**
 * {@link changedSince} for one open, remembered by `from`: the keyword and ANN snapshots, written
 * together, usually share their generation, and the change log after it is then read once.
 */
export function changeReader(store: NamespaceStore): (from: number) => Promise<ReadonlySet<number>> {
  const read = new Map<number, Promise<ReadonlySet<number>>>();
  return (from) => {
    let changes = read.get(from);
    if (!changes) {
      changes = changedSince(store, from);
      read.set(from, changes);
    }
    return changes;
  };
}

/** Records of `seqs` with their vectors, a page of seqs at a time (each page with the seqs it asked for). */
export async function* recordsBySeq(
  store: NamespaceStore,
  seqs: readonly number[],
): AsyncGenerator<{ seqs: readonly number[]; records: MemoryRecord[] }> {
  for (let i = 0; i < seqs.length; i += LOAD_PAGE) {
    if (i > 0) await nextTurn();
    const page = seqs.slice(i, i + LOAD_PAGE);
    yield { seqs: page, records: await store.getBySeq(page, { withEmbeddings: true }) };
  }
}

/** Where a namespace's ANN snapshots go, and how they are encrypted on encrypted storage. */
export interface SnapshotTarget {
  dir: string;
  cipher?: SnapshotCipher;
}

/**
 * The store's snapshot target; `null` when none are written (no snapshot directory, or encrypted
 * storage on a system without a RAM scratch directory for the plaintext).
 */
export function snapshotTarget(store: NamespaceStore): SnapshotTarget | null {
  const dir = store.snapshotDir;
  if (!dir) return null;
  const key = store.snapshotKey;
  if (!key) return { dir };
  const scratchDir = ramScratchDir();
  return scratchDir ? { dir, cipher: { key, scratchDir } } : null;
}

/** Where the store's snapshots built in memory (keyword index, vector sketch) go, encrypted on encrypted storage; `null` when none are written. */
export function fileSnapshotTarget(store: NamespaceStore): SnapshotFileTarget | null {
  return store.snapshotDir ? { dir: store.snapshotDir, key: store.snapshotKey } : null;
}

/** Options of {@link loadVectorIndex}. */
export interface LoadVectorIndexOptions {
  store: NamespaceStore;
  /**
   * The namespace's live memories (the snapshot keeps only these), once they are read: the snapshot
   * is read meanwhile.
   */
  live: Promise<ReadonlySet<number> | ReadonlyMap<number, unknown>>;
  /** The store generation the namespace opened at: a snapshot ahead of it is not used. */
  generation: number;
  /** The memories the change log names after a generation ({@link changeReader}). */
  changedSince: (from: number) => Promise<ReadonlySet<number>>;
  /** The graph options for the namespace's dimensions. */
  graph: HnswIndexOptions;
  target: SnapshotTarget | null;
  /** Puts a stored vector into the index (and whatever else mirrors it). */
  put: (index: HnswIndex, seq: number, vector: Float32Array) => void;
}

/** The loaded index and what its snapshot covered. */
export interface LoadedVectorIndex {
  index: HnswIndex;
  /** The store generation the snapshot reflected (0 when the index was rebuilt). */
  snapshotGeneration: number;
  /** Vectors the index now holds that the snapshot on disk lacks (`Infinity`: no usable snapshot). */
  lacking: number;
}

/**
 * Loads the ANN index from its snapshot (a graph built with other parameters too: it serves searches
 * while its replacement is built) and catches it up — memories changed since the snapshot and any live
 * memory it lacks are re-read — or, without a usable snapshot, rebuilds it from every stored vector.
 */
export async function loadVectorIndex(opts: LoadVectorIndexOptions): Promise<LoadedVectorIndex> {
  const { store, target, put } = opts;
  const read = target
    ? await loadSnapshot(target.dir, {
        ...opts.graph,
        live: opts.live.then((live) => live.keys()),
        anyGraph: true,
        ...(target.cipher ? { cipher: target.cipher } : {}),
      })
    : null;
  // A snapshot ahead of the database (a database restored from an older copy) cannot be caught up.
  if (read && read.generation > opts.generation) read.index.dispose();
  const loaded = read && read.generation <= opts.generation ? read : null;
  const live = await opts.live;
  if (!loaded) {
    if (target) dropSnapshot(target.dir);
    const index = new HnswIndex({ ...opts.graph, initialCapacity: Math.max(1024, live.size) });
    for await (const page of scanPages(store, { withEmbeddings: true })) {
      for (const rec of page) put(index, rec.seq, rec.embedding!);
    }
    return { index, snapshotGeneration: 0, lacking: target ? Number.POSITIVE_INFINITY : 0 };
  }
  const stale = new Set<number>();
  for (const seq of await opts.changedSince(loaded.generation)) if (live.has(seq)) stale.add(seq);
  let n = 0;
  for (const seq of live.keys()) {
    if (++n % ITEMS_PER_TURN === 0) await nextTurn();
    if (!loaded.index.has(seq)) stale.add(seq);
  }
  for await (const { records } of recordsBySeq(store, [...stale])) {
    for (const rec of records) put(loaded.index, rec.seq, rec.embedding!);
  }
  return { index: loaded.index, snapshotGeneration: loaded.generation, lacking: stale.size };
}
