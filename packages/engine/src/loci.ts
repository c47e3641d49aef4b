/**
 * `Loci.open`: the embedded engine, a {@link MemoryClient} backed by SQLite files under `dataDir`.
 *
 * @module
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Clock, systemClock } from "./clock.js";
import { CachedEmbedder } from "./embed/cached.js";
import type { Embedder } from "./embed/embedder.js";
import { UseLiteEmbedder } from "./embed/use-lite.js";
import {
  type BackgroundErrorHandler,
  type BackgroundFailure,
  failureReporter,
} from "./engine/background-failures.js";
import { EngineCore } from "./engine/core.js";
import { EventsService } from "./engine/events.js";
import { KnowledgeGraphService } from "./engine/graph-api.js";
import { sweepExpired } from "./engine/maintenance.js";
import { MemoryService } from "./engine/memory-api.js";
import { NamespaceService } from "./engine/namespace-api.js";
import type { NamespaceRuntime } from "./engine/namespace-runtime.js";
import { SessionService } from "./engine/session-api.js";
import { ValidationError } from "./errors.js";
import type { StorageDriver } from "./storage/driver.js";
import { SqliteDriver } from "./storage/sqlite.js";
import type { Checkpointer } from "./storage/sqlite-checkpointer.js";
import type {
  EventsApi,
  KnowledgeGraphApi,
  MemoryApi,
  MemoryClient,
  NamespaceApi,
  SessionApi,
} from "./types.js";
import { lockDirectory } from "./util/dir-lock.js";
import { assertNamespaceName, type Limits, resolveLimits } from "./validation.js";

/** Options of {@link Loci.open}. */
export interface LociOptions {
  /** Directory for all data; namespaces live under `<dataDir>/tenants/default/`. */
  dataDir: string;
  /** Turns text into vectors. @default new UseLiteEmbedder() (offline Universal Sentence Encoder Lite, 512-d) */
  embedder?: Embedder;
  /** The engine's clock (inject a `ManualClock` in tests). @default the system clock */
  clock?: Clock;
  /**
   * Replaces the default SQLite storage, e.g. `new PostgresDriver({ connectionString, schema })`.
   * `<dataDir>/tenants/<tenant>` then only holds the engine's lock. The engine closes the driver on `close()`. With shared storage
   * (`driver.shared`), several engines (processes) may serve the same data: see the README.
   */
  storage?: StorageDriver;
  /** `memory.add` creates a missing namespace instead of failing with NAMESPACE_NOT_FOUND. @default true */
  autoCreateNamespaces?: boolean;
  /** SQLite `synchronous` (see the README's durability section). @default "FULL" */
  synchronous?: "FULL" | "NORMAL";
  /**
   * Write an ANN snapshot every this many changes per namespace, or a tenth of its memories when that
   * is more, and on close. @default 10000
   */
  snapshotEvery?: number;
  /**
   * An int8 sketch of the stored vectors of each namespace, in memory (`dimensions + 12` bytes per
   * memory: 52 MB per 100,000 memories at 512-d). Searches use it to skip reading stored vectors that
   * cannot change their result (keyword-only hybrid candidates, matches of selective filters); results
   * are the same either way. `maxMiB` caps each namespace's sketch (the memories past it are read as
   * without one); `false` turns it off. @default { maxMiB: 128 } (about 250,000 memories at 512-d)
   */
  vectorSketch?: { maxMiB?: number } | false;
  /**
   * Keep the vectors of recently embedded texts in memory ({@link CachedEmbedder}): a query or
   * content embedded again (the same question asked by several agents, or every turn) is not sent to
   * the embedder again. Calls embedding more than 32 new texts (bulk adds) are served but not kept.
   * `false` turns it off. @default { maxEntries: 2048 } (4 MiB at 512-d)
   */
  embeddingCache?: { maxEntries?: number } | false;
  /** How often open namespaces are swept for expired memories, in ms; 0 disables the timer. @default 60000 */
  sweepIntervalMs?: number;
  /** The tenant whose directory (`<dataDir>/tenants/<tenant>/`) this engine serves. @default "default" */
  tenant?: string;
  /**
   * A 32-byte key encrypting every database of the tenant at rest (SQLite3MultipleCiphers). ANN
   * snapshots are then stored encrypted, their plaintext passing only through RAM (`/dev/shm`); where
   * there is none, no snapshots are written and indexes are rebuilt on open.
   */
  encryptionKey?: Buffer;
  /** Input limits (content size, batch size, page size, search limit, query size, metadata size, filter bounds). */
  limits?: Partial<Limits>;
  /** Most namespaces this engine may hold; more fail with QUOTA_EXCEEDED. @default unlimited */
  maxNamespaces?: number;
  /**
   * Most namespaces kept open at once. An open namespace holds its indexes in memory and, on SQLite,
   * its database file (about six file descriptors with the checkpoint worker's connection); beyond
   * this many, the least recently used idle ones are closed (snapshot written) and open again on their
   * next use. Namespaces in use, with background work left or with event subscribers stay open, so
   * the bound can be passed for a while. @default 1000
   */
  maxOpenNamespaces?: number;
  /**
   * Most memories the open namespaces may hold together: beyond it, the least recently used idle
   * namespaces are closed as beyond `maxOpenNamespaces` (a budget for the engine's memory, which grows
   * with memories, not namespaces: ~7 KB resident per 512-d memory with its graph, sketch, keyword
   * postings and attributes at 100k). Namespaces in use or busy stay open, so one namespace larger
   * than the bound stays open while used. @default unlimited
   */
  maxOpenMemories?: number;
  /**
   * The WAL checkpoint worker of the default SQLite storage, to share one thread between engines (a
   * server passes one to every tenant's engine). @default a worker of this engine's own
   */
  checkpointer?: Checkpointer;
  /** Keys tried when `encryptionKey` does not open a file (an interrupted rotation); such files are re-keyed. */
  previousEncryptionKeys?: readonly Buffer[];
  /**
   * Told of each failure of the engine's background work (a graph rebuild's or a sentence-vector
   * backfill's read, an ANN snapshot that does not fit on the disk, an event handler that throws, …;
   * see {@link BackgroundFailure}). None loses stored data, and the engine retries where it can, but
   * an operator wants to know. A handler that throws is ignored.
   * @default a one-line warning on stderr (`console.warn`)
   */
  onBackgroundError?: BackgroundErrorHandler;
}

/**
 * The embedded Loci engine.
 *
 * @example
 * ```ts
 * const loci = await Loci.open({ dataDir: "./loci-data" });
 * await loci.memory.add({ namespace: "researcher", content: "Acme renews in Q2", metadata: { customer_id: "cust_42" } });
 * const hits = await loci.memory.search({ namespace: "researcher", query: "when does Acme renew?" });
 * await loci.close();
 * ```
 */
export class Loci implements MemoryClient {
  readonly namespace: NamespaceApi;
  readonly memory: MemoryApi;
  readonly session: SessionApi;
  readonly events: EventsApi;
  readonly knowledgeGraph: KnowledgeGraphApi;
  readonly #core: EngineCore;
  readonly #unlock: () => void;
  readonly #sweepTimer: NodeJS.Timeout | null;

  private constructor(core: EngineCore, unlock: () => void, sweepIntervalMs: number) {
    this.#core = core;
    this.#unlock = unlock;
    this.namespace = new NamespaceService(core);
    this.memory = new MemoryService(core);
    this.session = new SessionService(core);
    this.events = new EventsService(core);
    this.knowledgeGraph = new KnowledgeGraphService(core);
    this.#sweepTimer =
      sweepIntervalMs > 0
        ? setInterval(() => {
            sweepExpired(core).catch((error: unknown) =>
              core.report({ work: "expiry-sweep", namespace: null, error, retryInMs: sweepIntervalMs }),
            );
          }, sweepIntervalMs).unref()
        : null;
  }

  /** Opens (creating if needed) the data directory. */
  static async open(opts: LociOptions): Promise<Loci> {
    const vectorSketch = sketchLimit(opts?.vectorSketch);
    const maxOpenNamespaces = openLimit(opts?.maxOpenNamespaces, "maxOpenNamespaces", OPEN_NAMESPACES);
    const maxOpenMemories = openLimit(opts?.maxOpenMemories, "maxOpenMemories", Number.POSITIVE_INFINITY);
    const cacheEntries = embeddingCacheEntries(opts?.embeddingCache);
    if (typeof opts?.dataDir !== "string" || opts.dataDir.length === 0) {
      throw new ValidationError({
        message: "dataDir must be a non-empty path",
        details: { field: "dataDir" },
      });
    }
    const tenantDir = join(opts.dataDir, "tenants", assertNamespaceName(opts.tenant ?? "default", "tenant"));
    // One engine per tenant directory (with other storage the directory only holds the lock).
    mkdirSync(tenantDir, { recursive: true });
    const unlock = lockDirectory(tenantDir);
    let driver: StorageDriver;
    try {
      driver =
        opts.storage ??
        new SqliteDriver({
          dir: tenantDir,
          synchronous: opts.synchronous ?? "FULL",
          ...(opts.encryptionKey ? { encryptionKey: opts.encryptionKey } : {}),
          ...(opts.previousEncryptionKeys ? { previousKeys: opts.previousEncryptionKeys } : {}),
          ...(opts.checkpointer ? { checkpointer: opts.checkpointer } : {}),
        });
    } catch (err) {
      unlock();
      throw err;
    }
    const core = new EngineCore({
      driver,
      embedder: withCache(opts.embedder ?? new UseLiteEmbedder(), cacheEntries),
      clock: opts.clock ?? systemClock,
      autoCreateNamespaces: opts.autoCreateNamespaces ?? true,
      snapshotEvery: opts.snapshotEvery ?? 10_000,
      vectorSketch,
      closeEmbedder: opts.embedder === undefined,
      maxNamespaces: opts.maxNamespaces ?? null,
      maxOpenNamespaces,
      maxOpenMemories,
      limits: resolveLimits(opts.limits),
      report: failureReporter(opts.onBackgroundError),
    });
    try {
      await core.follow();
    } catch (err) {
      await core.close().catch(() => undefined);
      unlock();
      throw err;
    }
    // Backfills left pending by the last run resume now, not at their namespace's first use.
    void core.resumeBackfills();
    return new Loci(core, unlock, opts.sweepIntervalMs ?? 60_000);
  }

  /** The embedder in use (a {@link CachedEmbedder} around the given one unless `embeddingCache: false`). */
  get embedder(): Embedder {
    return this.#core.embedder;
  }

  /**
   * Purges expired memories now (the background sweep does this every `sweepIntervalMs` for open
   * namespaces); `all` also opens and sweeps namespaces not used yet. Returns how many were purged.
   */
  sweepExpired(opts: { all?: boolean } = {}): Promise<number> {
    this.#core.assertOpen();
    return sweepExpired(this.#core, opts);
  }

  /**
   * Resolves once every memory committed so far (in `namespace`, opening it if need be, or in every
   * open namespace, which includes those opened at startup to resume a backfill) is in its namespace's
   * ANN graph, a running graph rebuild (after `vectorIndex.m` or `efConstruction` changed) has been
   * swapped in, and a running sentence-vector backfill (after `sentenceVectors` was turned on, see the
   * README) has finished; rejects with the backfill's or the rebuild's error while it waits for its
   * retry (also reported to `onBackgroundError`). Nothing needs to wait for this: a search scores memories the
   * graph does not hold yet exactly, so it is complete either way; only its speed depends on the graph.
   * @throws {NotFoundError} NAMESPACE_NOT_FOUND when `namespace` does not exist
   */
  async whenIndexed(opts: { namespace?: string } = {}): Promise<void> {
    this.#core.assertOpen();
    const settled = (rt: NamespaceRuntime) =>
      Promise.all([rt.vectors?.whenIndexed(), rt.whenRebuilt(), this.#core.backfillOf(rt)?.whenDone()]);
    if (opts.namespace !== undefined) {
      await this.#core.use(opts.namespace, settled);
      return;
    }
    await this.#core.resumeBackfills();
    // A namespace with work left stays open until it is done; one closed meanwhile had none.
    await Promise.all(this.#core.openNames().map((name) => this.#core.useOpen(name, settled)));
  }

  /**
   * Rotates the encryption key of an encrypted SQLite data directory while the engine keeps serving.
   * @throws {ValidationError} when the storage is not an encrypted SQLite driver
   */
  async rekey(newKey: Buffer): Promise<void> {
    this.#core.assertOpen();
    const driver = this.#core.driver;
    if (!(driver instanceof SqliteDriver)) {
      throw new ValidationError({ message: "rekey needs the SQLite storage driver" });
    }
    // The driver deletes the index snapshots encrypted under the old key; none may be written
    // meanwhile, and the open namespaces write new ones under the new key once it is done.
    const open = await this.#core.openRuntimes();
    await Promise.all(open.map((rt) => rt.pauseSnapshots()));
    try {
      await driver.rekey(newKey);
    } finally {
      for (const rt of open) rt.resumeSnapshots();
    }
  }

  /** How many namespaces this engine holds open now (see `maxOpenNamespaces`). */
  openNamespaceCount(): number {
    return this.#core.openCount;
  }

  /** Memories committed but not yet in their namespace's ANN graph, over the open namespaces. */
  indexBacklog(): Promise<number> {
    return this.#sum((rt) => this.#core.indexingOf(rt).pendingVectors);
  }

  /**
   * Memories still to be copied into a graph being rebuilt after `vectorIndex.m` or
   * `vectorIndex.efConstruction` changed, over the open namespaces (0 when none runs; see `whenIndexed`).
   */
  graphRebuildBacklog(): Promise<number> {
    return this.#sum((rt) => this.#core.indexingOf(rt).graphRebuildPending);
  }

  /**
   * Memories a sentence-vector backfill still has to check, over the open namespaces (0 when none
   * runs; see `whenIndexed`).
   */
  sentenceBackfillBacklog(): Promise<number> {
    return this.#sum((rt) => this.#core.indexingOf(rt).sentenceBackfillPending);
  }

  /** `count` summed over the open namespaces. */
  async #sum(count: (rt: NamespaceRuntime) => number): Promise<number> {
    let total = 0;
    for (const rt of await this.#core.openRuntimes()) total += count(rt);
    return total;
  }

  /** Waits for pending writes, writes index snapshots and closes every database. */
  async close(): Promise<void> {
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
    try {
      await this.#core.close();
    } finally {
      this.#unlock();
    }
  }
}

/** Default cap of each namespace's vector sketch, MiB. */
const SKETCH_MIB = 128;
/** Default `embeddingCache.maxEntries`. */
const EMBEDDING_CACHE_ENTRIES = 2048;

/** Default `maxOpenNamespaces`. */
const OPEN_NAMESPACES = 1000;

/** `LociOptions.maxOpenNamespaces` or `maxOpenMemories`, checked. */
function openLimit(value: number | undefined, field: string, fallback: number): number {
  const max = value ?? fallback;
  if (!(Number.isInteger(max) && max >= 1) && max !== Number.POSITIVE_INFINITY) {
    throw new ValidationError({
      message: `${field} must be a positive integer (or Infinity)`,
      details: { field },
    });
  }
  return max;
}

/** `LociOptions.embeddingCache` as a number of entries (`null`: off). */
function embeddingCacheEntries(value: LociOptions["embeddingCache"]): number | null {
  if (value === false) return null;
  const max = value?.maxEntries ?? EMBEDDING_CACHE_ENTRIES;
  if (!Number.isInteger(max) || max < 0) {
    throw new ValidationError({
      message: "embeddingCache.maxEntries must be a non-negative integer",
      details: { field: "embeddingCache.maxEntries" },
    });
  }
  return max === 0 ? null : max;
}

function withCache(embedder: Embedder, maxEntries: number | null): Embedder {
  return maxEntries === null ? embedder : new CachedEmbedder({ embedder, maxEntries });
}

/** The per-namespace vector sketch limit of `LociOptions.vectorSketch` (`null`: off). */
function sketchLimit(value: LociOptions["vectorSketch"]): { maxBytes: number } | null {
  if (value === false) return null;
  const maxMiB = value?.maxMiB ?? SKETCH_MIB;
  if (typeof maxMiB !== "number" || !Number.isFinite(maxMiB) || maxMiB < 0) {
    throw new ValidationError({
      message: "vectorSketch.maxMiB must be a non-negative number",
      details: { field: "vectorSketch.maxMiB" },
    });
  }
  return maxMiB === 0 ? null : { maxBytes: maxMiB * 1024 * 1024 };
}
