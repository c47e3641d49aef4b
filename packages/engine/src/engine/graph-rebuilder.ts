/**
 * A namespace's graph rebuilds over time (`graph-rebuild.ts` is one rebuild): starts one when the
 * namespace's graph parameters differ from the graph in use, replaces it when they change again, stops
 * it when they change back, swaps the finished graph in, and starts again after a failed read.
 *
 * @module
 */
import { LociError } from "../errors.js";
import type { HnswIndex } from "../index/hnsw.js";
import type { VectorIndexConfig } from "../types.js";
import { GraphRebuild } from "./graph-rebuild.js";

/** Options of {@link GraphRebuilder}. */
export interface GraphRebuilderOptions {
  /** The graph searches use now. */
  current: () => HnswIndex | null;
  /** A new empty graph with the namespace's parameters, sized like `like`. */
  newGraph: (like: HnswIndex) => HnswIndex;
  /** Reads stored vectors by seq. */
  read: (seqs: readonly number[]) => Promise<Map<number, Float32Array>>;
  /** Installs a finished graph in place of the current one (which the rebuilder then frees). */
  swap: (next: HnswIndex) => void;
  /** Wait before a rebuild whose read failed starts again. @default 30000 */
  retryMs?: number;
  /** Told of a failed read, or of a rebuild put off for want of memory (tried again after `retryInMs`). */
  onFailure?: (error: unknown, retryInMs: number) => void;
  /**
   * Bytes of memory the process may still use; a rebuild needing more than {@link MEMORY_SHARE} of it
   * is put off. @default `process.availableMemory()` (free memory, within a cgroup limit)
   */
  availableMemory?: () => number;
}

/** The share of available memory a new graph may take: the old one stays in memory until the swap. */
export const MEMORY_SHARE = 0.8;

/**
 * Bytes an HNSW graph of `size` vectors takes (hnswlib: each vector, its level-0 links (2·M), its
 * label, lock and lookup entry, and upper-level links for about 1 / ln M of the elements).
 */
export function graphBytes(size: number, dimensions: number, m: number): number {
  const upper = (m * 4 + 4) / Math.log(Math.max(m, 2));
  return Math.ceil(size * (dimensions * 4 + m * 8 + 4 + 96 + upper));
}

type GraphParams = Pick<VectorIndexConfig, "m" | "efConstruction">;

const differs = (g: HnswIndex, p: GraphParams) => g.m !== p.m || g.efConstruction !== p.efConstruction;

/** Drives a namespace's graph rebuilds (see the module comment). */
export class GraphRebuilder {
  readonly #opts: GraphRebuilderOptions;
  #rebuild: GraphRebuild | null = null;
  /** Settles when the current rebuild has been swapped in, cancelled or failed. */
  #done: Promise<void> | null = null;
  #retry: NodeJS.Timeout | null = null;
  #wanted: GraphParams | null = null;
  /** The error of the last failed read, until a rebuild swaps in. */
  #failure: unknown = null;
  #closed = false;

  constructor(opts: GraphRebuilderOptions) {
    this.#opts = opts;
  }

  /** Memories still to be copied into the new graph, or waiting for a retry (0 when none is due). */
  get pending(): number {
    if (this.#rebuild) return this.#rebuild.pending;
    return this.#retry ? (this.#opts.current()?.size ?? 0) : 0;
  }

  /**
   * Resolves once no rebuild is running (the latest swapped in or cancelled); rejects with the read
   * error when the latest failed and waits for its retry.
   */
  async whenDone(): Promise<void> {
    while (this.#done) await this.#done;
    if (this.#retry && this.#failure !== null) throw this.#failure;
  }

  /** A committed write's vector, for the graph being built too. */
  upsert(seq: number, vector: Float32Array): void {
    this.#rebuild?.upsert(seq, vector);
  }

  /** A committed delete, for the graph being built too. */
  remove(seq: number): void {
    this.#rebuild?.remove(seq);
  }

  /** A new search beam, for the graph being built too. */
  setEfSearch(efSearch: number): void {
    this.#rebuild?.next.setEfSearch(efSearch);
  }

  /** Starts, replaces or stops a rebuild so that the graph ends up built with `wanted`. */
  reconcile(wanted: GraphParams): void {
    this.#wanted = wanted;
    const current = this.#opts.current();
    if (!current || this.#closed) return;
    this.#clearRetry();
    if (this.#rebuild && !differs(this.#rebuild.next, wanted)) return;
    this.#stop();
    if (!differs(current, wanted)) return;
    const needed = graphBytes(Math.max(1024, current.size), current.dimensions, wanted.m);
    const available = (this.#opts.availableMemory ?? process.availableMemory)();
    if (needed > available * MEMORY_SHARE) {
      // Two graphs would not fit: the current one keeps serving, and the rebuild waits for memory.
      const mib = (n: number) => Math.round(n / 2 ** 20);
      this.#failed(
        new LociError({
          code: "INSUFFICIENT_MEMORY",
          message: `rebuilding the graph of ${current.size} vectors needs ~${mib(needed)} MiB beside the current one; ${mib(available)} MiB are available`,
          details: { neededBytes: needed, availableBytes: available },
        }),
      );
      return;
    }
    const rebuild = new GraphRebuild({
      next: this.#opts.newGraph(current),
      current: this.#opts.current,
      seqs: [...current.labels()],
      read: this.#opts.read,
    });
    this.#rebuild = rebuild;
    const settle = () => {
      if (this.#rebuild !== rebuild) return false;
      this.#rebuild = null;
      this.#done = null;
      return true;
    };
    this.#done = rebuild.run().then(
      (complete) => {
        if (!complete || this.#closed || !settle()) return;
        this.#failure = null;
        const old = this.#opts.current();
        this.#opts.swap(rebuild.next);
        old?.dispose();
      },
      (err: unknown) => {
        // A read of stored vectors failed (a storage blip): the current graph stays in use, and the
        // rebuild starts again later (or at the next configuration change or open).
        if (!settle()) return;
        rebuild.cancel();
        if (!this.#closed) this.#failed(err);
      },
    );
  }

  /** Records a failure, tells `onFailure` and tries again after `retryMs`. */
  #failed(err: unknown): void {
    const retryMs = this.#opts.retryMs ?? 30_000;
    this.#failure = err;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      if (this.#wanted) this.reconcile(this.#wanted);
    }, retryMs);
    this.#retry.unref();
    this.#opts.onFailure?.(err, retryMs);
  }

  /** Stops everything for good (the namespace closes). */
  close(): void {
    this.#closed = true;
    this.#clearRetry();
    this.#stop();
  }

  #stop(): void {
    this.#rebuild?.cancel();
    this.#rebuild = null;
    this.#done = null;
  }

  #clearRetry(): void {
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
  }
}
