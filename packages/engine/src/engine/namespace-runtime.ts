/**
 * The live state of one open namespace: its storage handle, an in-memory table of memory
 * attributes (for filtering and pagination), its BM25 index, its ANN index and its write lock.
 *
 * Writes to one namespace go through {@link NamespaceRuntime.write} (one at a time, in order);
 * reads never take the lock. Indexes are derived: on open, the keyword index is built from the
 * database, and the ANN index is loaded from its snapshot, caught up from the change log, and
 * reconciled with the database, or rebuilt when the snapshot is missing, stale or corrupt. The
 * knowledge graph is loaded on first use ({@link NamespaceRuntime.graph}) and kept in step by writes.
 *
 * On shared storage (`shared: true`, the PostgreSQL driver: other processes write the same namespace)
 * this state is a cache of the database: {@link NamespaceRuntime.sync} catches it up from the change
 * log (one indexed query when nothing changed), and the engine calls it before every read and write
 * and when the driver reports a commit by another process.
 *
 * @module
 */
import { rm } from "node:fs/promises";
import { storageFailure } from "../errors.js";
import { Bm25Index } from "../index/bm25.js";
import { loadKeywordSnapshot } from "../index/bm25-snapshot.js";
import { HnswIndex, type HnswIndexOptions } from "../index/hnsw.js";
import type { KeywordIndex } from "../index/keyword-index.js";
import { loadSketchSnapshot } from "../index/sketch-snapshot.js";
import { VectorSketch } from "../index/vector-sketch.js";
import type { MemoryRecord, NamespaceRecord, NamespaceStore } from "../storage/driver.js";
import { Mutex } from "../util/mutex.js";
import { AccessTouches } from "./access-touches.js";
import type { BackgroundWork, ReportFailure } from "./background-failures.js";
import { fullConfig } from "./convert.js";
import { type DocInfo, DocTable } from "./doc-table.js";
import type { KnowledgeGraph } from "./graph.js";
import { GraphRebuilder } from "./graph-rebuilder.js";
import { LazyGraph } from "./lazy-graph.js";
import { NamespaceSnapshots } from "./namespace-snapshots.js";
import {
  changedSince as changedAfter,
  changeReader,
  LOAD_PAGE,
  loadVectorIndex,
  recordsBySeq,
  scanPages,
} from "./runtime-load.js";
import { completeSketch } from "./sketch-fill.js";

/** Options of {@link NamespaceRuntime.open}. */
export interface RuntimeOptions {
  store: NamespaceStore;
  record: NamespaceRecord;
  /**
   * Write an ANN snapshot after this many changes, or a tenth of the namespace's memories when that is
   * more (a snapshot writes the whole index, so its cost per change stays bounded), and on close.
   * @default 10000
   */
  snapshotEvery?: number;
  /** Runs after every write, still inside the write lock (event delivery). */
  afterWrite?: (rt: NamespaceRuntime) => Promise<void>;
  /** Runs whenever background graph insertion has caught up (the runtime may now be idle). */
  onIndexed?: () => void;
  /** Other processes may write this namespace (see {@link NamespaceRuntime.sync}). @default false */
  shared?: boolean;
  /** The int8 vector sketch (see `index/vector-sketch.ts`), at most `maxBytes`; `null`: none. */
  vectorSketch?: { maxBytes: number } | null;
  /** Receives failures of the runtime's background work (snapshots, sketch, hit statistics, rebuilds). */
  report?: ReportFailure;
}

/** Live state of one namespace. */
export class NamespaceRuntime {
  readonly store: NamespaceStore;
  #record: NamespaceRecord;
  /** The live memories' attributes (`doc-table.ts`). */
  readonly #table = new DocTable();
  /** Live memories by seq, in ascending seq order (Map keeps insertion order). */
  readonly docs = this.#table.docs;
  readonly seqById = this.#table.seqById;
  /** The matches of metadata filters that searches repeat, kept in step by every write. */
  readonly filters = this.#table.filters;
  /** The keyword index (loaded from its snapshot on open, when there is a usable one). */
  keyword: KeywordIndex & Bm25Index = new Bm25Index();
  vectors: HnswIndex | null = null;
  /**
   * Int8 sketches of the stored vectors, bounding similarities so search skips reads that cannot change
   * its result (`null`: off, or no vectors yet). Filled by writes, and after open in the background.
   */
  sketch: VectorSketch | null = null;
  readonly #lock = new Mutex();
  /** Serialises catch-ups from the change log (shared storage only); reads never take {@link #lock}. */
  readonly #syncLock = new Mutex();
  readonly #shared: boolean;
  readonly #sketchLimit: { maxBytes: number } | null;
  /** Seqs this write applied from its own results (shared storage): their `memory.added` need no re-read. */
  readonly #ownAdds = new Set<number>();
  readonly #afterWrite: ((rt: NamespaceRuntime) => Promise<void>) | undefined;
  readonly #reportTo: ReportFailure | undefined;
  /** Search hits not yet persisted (one coalesced write, inside the lock, unless closed by then). */
  readonly #touches = new AccessTouches({
    persist: (seqs, at) => this.store.touch(seqs, at),
    schedule: (flush) =>
      this.#lock.run(async () => {
        if (!this.#closed) await flush().catch((err: unknown) => this.#report("access-stats", err));
      }),
  });
  #generation = 0;
  /** The ANN and keyword snapshots (`namespace-snapshots.ts`). */
  readonly #snapshots: NamespaceSnapshots;
  /**
   * Background insertion caught up: complete a snapshot that left many vectors out, and tell the owner
   * (an idle namespace beyond the open bound may now be closed).
   */
  readonly #onIndexed = () => {
    if (!this.#closed) this.#snapshots.drained(this.docs.size);
    this.#onCaughtUp?.();
  };
  readonly #onCaughtUp: (() => void) | undefined;
  #closed = false;
  /** The knowledge graph, loaded on first use under the write lock. */
  readonly #graph = new LazyGraph({
    load: () => this.store.loadGraph(),
    exclusive: (task) => this.#lock.run(task),
  });
  /** Rebuilds of the ANN graph when the namespace's graph parameters change (`graph-rebuilder.ts`). */
  readonly #rebuilds: GraphRebuilder;

  private constructor(opts: RuntimeOptions) {
    this.store = opts.store;
    this.#record = opts.record;
    this.#snapshots = new NamespaceSnapshots({
      store: opts.store,
      every: opts.snapshotEvery ?? 10_000,
      vectors: () => (this.#closed ? null : this.vectors),
      keyword: () => (this.#closed ? null : this.keyword),
      sketch: () => (this.#closed ? null : this.sketch),
      generation: () => this.#generation,
      onFailure: (err) => this.#report("snapshot", err),
    });
    this.#afterWrite = opts.afterWrite;
    this.#shared = opts.shared ?? false;
    this.#sketchLimit = opts.vectorSketch ?? null;
    this.#reportTo = opts.report;
    this.#onCaughtUp = opts.onIndexed;
    this.#rebuilds = new GraphRebuilder({
      current: () => this.vectors,
      newGraph: (like) =>
        new HnswIndex({
          ...this.#graphOptions(like.dimensions),
          initialCapacity: Math.max(1024, like.size),
        }),
      read: (seqs) => this.store.getEmbeddings(seqs),
      swap: (next) => {
        this.vectors = next;
        if (!this.#closed) this.#snapshots.replacedGraph();
      },
      onFailure: (err, retryInMs) => this.#report("graph-rebuild", err, retryInMs),
    });
  }

  #report(work: BackgroundWork, error: unknown, retryInMs: number | null = null): void {
    this.#reportTo?.({ work, namespace: this.name, error, retryInMs });
  }

  /** Opens a namespace: loads attributes and builds or loads its indexes. */
  static async open(opts: RuntimeOptions): Promise<NamespaceRuntime> {
    const rt = new NamespaceRuntime(opts);
    await rt.#load();
    return rt;
  }

  /**
   * The namespace's catalog record. A new one's search beam (`vectorIndex.efSearch`) applies at once;
   * a new degree or build beam (`m`, `efConstruction`) starts rebuilding the graph in the background.
   */
  get record(): NamespaceRecord {
    return this.#record;
  }

  set record(next: NamespaceRecord) {
    this.#record = next;
    this.#applyGraphConfig();
  }

  /** The record's graph parameters to the graphs: the beam at once, other ones by a rebuild. */
  #applyGraphConfig(): void {
    const wanted = fullConfig(this.#record.config).vectorIndex;
    this.vectors?.setEfSearch(wanted.efSearch);
    this.#rebuilds.setEfSearch(wanted.efSearch);
    this.#rebuilds.reconcile(wanted);
  }

  /** Memories still to be copied into a graph being rebuilt, or waiting to retry one (0 when none is). */
  get rebuildPending(): number {
    return this.#rebuilds.pending;
  }

  /** Resolves once no graph rebuild is running (the latest one swapped in, cancelled or failed). */
  whenRebuilt(): Promise<void> {
    return this.#rebuilds.whenDone();
  }

  /** Options of this namespace's ANN graph for vectors of `dimensions`. */
  #graphOptions(dimensions: number): HnswIndexOptions {
    const { m, efConstruction, efSearch } = fullConfig(this.#record.config).vectorIndex;
    return { dimensions, m, efConstruction, efSearch, onIndexed: this.#onIndexed };
  }

  get name(): string {
    return this.record.name;
  }

  /** Memories with an expiry time (so searches know whether expiry checks are needed). */
  get expiring(): number {
    return this.#table.expiring;
  }

  /** The highest seq ever indexed here (seqs are never reused; a bound for sampling, see `filter-estimate.ts`). */
  get maxSeq(): number {
    return this.#table.maxSeq;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Whether other processes write this namespace too (the in-memory state is a cache of the database). */
  get shared(): boolean {
    return this.#shared;
  }

  /** The store generation the in-memory state reflects (it grows with every applied write). */
  get generation(): number {
    return this.#generation;
  }

  async #load(): Promise<void> {
    this.#generation = await this.store.generation();
    const changedSince = changeReader(this.store);
    const records = this.#loadRecords(changedSince);
    const dims = this.record.config.embedding?.dimensions;
    if (dims) this.sketch = this.#newSketch(dims);
    // The snapshots are read (checked, decrypted, loaded) while the memories are; the sketch's is
    // merged in the background once the namespace is open.
    const sketchFile = this.#loadSketch(dims);
    const vectors = dims
      ? loadVectorIndex({
          store: this.store,
          live: records.then(() => this.docs), // (a failure of `records` is thrown below)
          generation: this.#generation,
          changedSince,
          graph: this.#graphOptions(dims),
          target: this.#snapshots.annTarget(),
          put: (index, seq, vector) => this.#putVector(index, seq, vector),
        })
      : null;
    const [read, built] = await Promise.allSettled([records, vectors]);
    if (read.status === "rejected") {
      if (built.status === "fulfilled") built.value?.index.dispose();
      throw read.reason;
    }
    if (built.status === "rejected") throw built.reason;
    const loaded = built.value;
    if (!loaded) return;
    this.vectors = loaded.index;
    this.#snapshots.loadedAnn(loaded.snapshotGeneration, loaded.lacking);
    // A snapshot of other graph parameters serves searches while its replacement is built.
    this.#applyGraphConfig();
    const sketch = this.sketch;
    if (sketch)
      void completeSketch({
        sketch,
        snapshot: sketchFile,
        openedAt: this.#generation,
        // Read afresh: writes since the open are in the log too.
        changedSince: (from) => changedAfter(this.store, from),
        docs: this.docs,
        read: (seqs) => this.store.getEmbeddings(seqs),
        active: () => !this.#closed && this.sketch === sketch,
        merged: (generation) => this.#snapshots.loadedSketch(generation),
        onFailure: (err) => this.#report("sketch", err),
      });
  }

  /** The sketch snapshot on disk, if the namespace keeps a sketch and has one. */
  async #loadSketch(dims: number | undefined): Promise<{ sketch: VectorSketch; generation: number } | null> {
    const target = this.#snapshots.fileTarget();
    if (!dims || !this.#sketchLimit || !target) return null;
    // Never rejects: an open that fails elsewhere leaves this promise unawaited.
    return loadSketchSnapshot(target, { dimensions: dims, maxBytes: this.#sketchLimit.maxBytes }).catch(
      () => null,
    );
  }

  /**
   * Reads every memory into the in-memory tables, and the keyword index: from its snapshot when there
   * is a usable one (only memories changed since, or missing from it, are tokenized again; memories
   * deleted since are dropped from it), otherwise from every memory's content.
   */
  async #loadRecords(changedSince: (from: number) => Promise<ReadonlySet<number>>): Promise<void> {
    const target = this.#snapshots.fileTarget();
    const loaded = target ? await loadKeywordSnapshot(target) : null;
    // A snapshot ahead of the database (a database restored from an older copy) cannot be caught up.
    const snap = loaded && loaded.generation <= this.#generation ? loaded : null;
    const stale = snap ? await changedSince(snap.generation) : null;
    if (snap) this.keyword = snap.index;
    for await (const page of scanPages(this.store))
      for (const rec of page)
        this.#index(rec, null, !snap || stale!.has(rec.seq) || !snap.index.has(rec.seq));
    if (snap) {
      const gone = [...snap.index.labels()].filter((seq) => !this.docs.has(seq));
      for (const seq of gone) snap.index.remove(seq);
    }
    this.#snapshots.loadedKeyword(snap?.generation ?? 0);
  }

  /**
   * Runs a write exclusively (one write at a time per namespace, in call order), then the
   * after-write hook (event delivery) before the lock is released.
   */
  write<T>(task: () => Promise<T>): Promise<T> {
    return this.#lock.run(async () => {
      // Shared storage: decisions inside the write (ids, eviction) see the latest committed state, and
      // afterwards the log is replayed from before the write, so no other process's change is skipped.
      await this.sync();
      try {
        let result: T;
        try {
          result = await task();
        } catch (err) {
          // A full or read-only disk is a typed error (STORAGE_FULL / STORAGE_READ_ONLY); the
          // transaction was rolled back and nothing in memory was changed.
          throw storageFailure(err) ?? err;
        }
        await this.sync();
        if (this.#afterWrite && !this.#closed) await this.#afterWrite(this);
        return result;
      } finally {
        this.#ownAdds.clear();
      }
    });
  }

  /**
   * The knowledge graph, loaded from the store on first use. The load runs under the write lock, so no
   * write can commit between reading the tables and installing the graph; afterwards every committed
   * graph or memory write updates it. Do not call it from inside {@link NamespaceRuntime.write}
   * (await it before); there, use {@link NamespaceRuntime.loadedGraph}.
   */
  graph(): Promise<KnowledgeGraph> {
    return this.#graph.get();
  }

  /** The knowledge graph if it has been loaded, else `null`. */
  get loadedGraph(): KnowledgeGraph | null {
    return this.#graph.loaded;
  }

  /** The attributes of the memory with this id, if it is here. */
  docById(id: string): DocInfo | undefined {
    return this.#table.byId(id);
  }

  /** Creates the ANN index (and the sketch) on the first write that fixes the dimension. */
  ensureVectors(dimensions: number): HnswIndex {
    this.vectors ??= new HnswIndex(this.#graphOptions(dimensions));
    this.sketch ??= this.#newSketch(dimensions);
    return this.vectors;
  }

  /** A memory's vector into the ANN index and the sketch. */
  #putVector(index: HnswIndex, seq: number, vector: Float32Array): void {
    index.upsert(seq, vector);
    if (index === this.vectors) this.#rebuilds.upsert(seq, vector);
    this.sketch?.set(seq, vector);
  }

  #newSketch(dimensions: number): VectorSketch | null {
    return this.#sketchLimit ? new VectorSketch(dimensions, this.#sketchLimit) : null;
  }

  /** Indexes a record (its content too unless `keyword` is false: the keyword index holds it already). */
  #index(rec: MemoryRecord, embedding: Float32Array | null, keyword = true): void {
    this.#table.put(rec);
    const graph = this.#graph.loaded;
    if (graph && rec.entities.length > 0)
      graph.link(
        rec.seq,
        rec.entities.map((e) => e.key),
      );
    if (keyword) this.keyword.upsert(rec.seq, rec.content);
    if (embedding) this.#putVector(this.ensureVectors(embedding.length), rec.seq, embedding);
  }

  /**
   * Applies committed inserts or updates to the in-memory state and indexes.
   * `generation` is the store's generation after the write (the snapshot watermark).
   */
  applyUpserts(records: readonly MemoryRecord[], generation: number): void {
    for (const rec of records) {
      this.#index(rec, rec.embedding);
      if (this.#shared && rec.embedding) this.#ownAdds.add(rec.seq);
    }
    this.#table.restoreOrder();
    this.#changed(generation);
  }

  /** Applies committed deletes (see {@link NamespaceRuntime.applyUpserts} for `generation`). */
  applyDeletes(records: readonly MemoryRecord[], generation: number): void {
    for (const rec of records) this.#remove(rec.seq);
    this.#changed(generation);
  }

  /** Drops a memory from the table and every index (nothing when it is not here). */
  #remove(seq: number): void {
    if (!this.#table.delete(seq)) return;
    this.keyword.remove(seq);
    this.vectors?.remove(seq);
    this.#rebuilds.remove(seq);
    this.sketch?.delete(seq);
    this.#graph.loaded?.unlink(seq);
  }

  /**
   * Shared storage only (a no-op otherwise): brings the in-memory state up to the database's newest
   * generation by replaying the change log. Memories named by a change are re-read (present: upserted,
   * gone: removed), graph changes drop the loaded graph (reloaded on next use). Concurrent callers
   * share the work. @throws {NotFoundError} NAMESPACE_NOT_FOUND when another process deleted the namespace
   */
  async sync(): Promise<void> {
    if (!this.#shared || this.#closed) return;
    const target = await this.store.generation();
    if (target <= this.#generation) return;
    await this.#syncLock.run(async () => {
      while (this.#generation < target) {
        const changes = await this.store.changesSince(this.#generation, LOAD_PAGE);
        if (changes.length === 0) break;
        const seqs = new Set<number>();
        let graph = false;
        for (const c of changes) {
          // A seq is assigned to one insert only: if this write applied that insert, its record is here.
          if (c.type === "memory.added" && this.#ownAdds.has(c.subjectSeq)) continue;
          if (c.type.startsWith("memory.")) seqs.add(c.subjectSeq);
          else if (c.type.startsWith("entity.") || c.type.startsWith("edge.")) graph = true;
        }
        await this.#refresh([...seqs]);
        if (graph) this.#graph.drop();
        this.#generation = changes[changes.length - 1]!.generation;
      }
      // Everything up to the generation is applied now: a snapshot may be taken at it.
      if (!this.#closed) this.#snapshots.changed(this.#generation, this.docs.size);
    });
  }

  /** Re-reads memories by seq: those still stored are upserted, the others removed. */
  async #refresh(seqs: number[]): Promise<void> {
    for await (const { seqs: batch, records } of recordsBySeq(this.store, seqs)) {
      const found = new Set(records.map((r) => r.seq));
      for (const rec of records) this.#index(rec, rec.embedding);
      for (const seq of batch) if (!found.has(seq)) this.#remove(seq);
    }
    this.#table.restoreOrder();
  }

  /**
   * Records search hits: applied to the in-memory table at once (so retention sees the
   * reinforcement), persisted by one coalesced write shortly after, off the search path.
   */
  recordAccess(seqs: readonly number[], at: number): void {
    this.#touches.add(this.#table.touch(seqs, at), at);
  }

  #changed(generation: number): void {
    // On shared storage, other processes' changes may lie below `generation`: only sync() advances it.
    if (this.#shared) return;
    this.#generation = generation;
    if (!this.#closed) this.#snapshots.changed(generation, this.docs.size);
  }

  /** Stops writing index snapshots until {@link NamespaceRuntime.resumeSnapshots}; resolves once none is written. */
  pauseSnapshots(): Promise<void> {
    return this.#snapshots.pause();
  }

  /** Writes snapshots again, new ones of both indexes first (the files on disk were replaced). */
  resumeSnapshots(): void {
    if (!this.#closed) this.#snapshots.resume();
  }

  /** Whether a memory is visible at `now` (not expired). */
  visible(doc: DocInfo, now: number): boolean {
    return doc.expiresAt === null || doc.expiresAt > now;
  }

  /**
   * Waits for pending writes, snapshots the indexes and marks the runtime closed. With `discard`
   * (the namespace was deleted elsewhere), no snapshot is written and the store's snapshot directory
   * is removed once no write to it runs.
   */
  async close(opts: { snapshot?: boolean; discard?: boolean } = {}): Promise<void> {
    await this.#lock.run(async () => {
      if (this.#closed) return;
      try {
        if (opts.discard) {
          // Nothing is written to a namespace that is gone (its access statistics neither).
          await this.#snapshots.flush({ write: false });
          // Best effort: what is left is pruned when the driver next starts.
          if (this.store.snapshotDir)
            await rm(this.store.snapshotDir, { recursive: true, force: true }).catch(() => undefined);
          return;
        }
        await this.#touches.flush();
        let write =
          opts.snapshot !== false && Boolean(this.#snapshots.annTarget() || this.#snapshots.fileTarget());
        // The snapshots' watermark must be exact: the generation counter is re-read, or on shared
        // storage the other processes' changes are applied up to it first (the newest generation
        // alone would claim changes this process has not seen). A namespace deleted elsewhere meanwhile
        // gets no snapshot.
        if (write && this.#shared)
          write = await this.sync().then(
            () => true,
            () => false,
          );
        else if (write) this.#generation = await this.store.generation();
        await this.#snapshots.flush({ write });
      } finally {
        // Labels still pending are durable and re-indexed from storage when the namespace next opens.
        this.#touches.discard();
        this.#rebuilds.close();
        this.vectors?.dispose();
        this.sketch?.clear();
        this.#closed = true;
      }
    });
  }
}
