/**
 * One engine per tenant, opened on first use by the tenant store (with the tenant's data key on
 * SQLite, in the tenant's schema on PostgreSQL). A key belongs to one tenant and the server resolves
 * the engine from the key alone, so no route, parameter or header can reach another tenant's data.
 *
 * @module
 */
import { type BackgroundFailure, CachedEmbedder, type Loci, LociError } from "@loci/engine";
import type { Logger } from "pino";
import type { EngineSettings, TenantInfo, TenantStore } from "./tenant-store.js";

/** Options of {@link TenantEngines}. */
export interface TenantEnginesOptions extends EngineSettings {
  store: TenantStore;
  logger: Logger;
  now: () => number;
}

/** The engines of all tenants. */
export class TenantEngines {
  readonly #opts: TenantEnginesOptions;
  readonly #open = new Map<string, Promise<Loci>>();
  #backgroundFailures = 0;

  constructor(opts: TenantEnginesOptions) {
    this.#opts = opts;
  }

  /** Registers the `default` tenant on first start. */
  ensureDefault(): Promise<void> {
    return this.#opts.store.ensureDefault(this.#opts.logger, this.#opts.now());
  }

  /** The engine of a tenant. @throws NOT_FOUND for unknown tenants */
  engine(tenant: string): Promise<Loci> {
    let opening = this.#open.get(tenant);
    if (!opening) {
      opening = this.#opts.store.open(tenant, {
        ...this.#opts,
        onBackgroundError: (f) => this.#onBackgroundError(tenant, f),
      });
      this.#open.set(tenant, opening);
      opening.catch(() => this.#open.delete(tenant));
    }
    return opening;
  }

  /** Namespaces held open, over the open engines (`loci_open_namespaces`). */
  openNamespaces(): Promise<number> {
    return this.#sum(async (loci) => loci.openNamespaceCount());
  }

  /** Memories not yet in an ANN graph, over the open engines (see `Loci.whenIndexed`). */
  indexBacklog(): Promise<number> {
    return this.#sum((loci) => loci.indexBacklog());
  }

  /** Memories still to be copied into graphs being rebuilt, over the open engines. */
  graphRebuildBacklog(): Promise<number> {
    return this.#sum((loci) => loci.graphRebuildBacklog());
  }

  /** Memories sentence-vector backfills still have to check, over the open engines. */
  sentenceBackfillBacklog(): Promise<number> {
    return this.#sum((loci) => loci.sentenceBackfillBacklog());
  }

  /** `count` summed over the open engines (an engine that failed to open counts 0). */
  async #sum(count: (loci: Loci) => Promise<number>): Promise<number> {
    let total = 0;
    for (const opening of this.#open.values()) total += await opening.then(count).catch(() => 0);
    return total;
  }

  /** Embedding-cache hits and misses over the open engines (each tenant has its own cache). */
  async embeddingCache(): Promise<{ hits: number; misses: number }> {
    const total = { hits: 0, misses: 0 };
    for (const opening of this.#open.values()) {
      const embedder = await opening.then((loci) => loci.embedder).catch(() => null);
      if (embedder instanceof CachedEmbedder) {
        total.hits += embedder.stats.hits;
        total.misses += embedder.stats.misses;
      }
    }
    return total;
  }

  /** An engine's background failure: logged (a warning) and counted. */
  #onBackgroundError(tenant: string, f: BackgroundFailure): void {
    this.#backgroundFailures++;
    this.#opts.logger.warn(
      { tenant, namespace: f.namespace, work: f.work, retryInMs: f.retryInMs, err: f.error },
      `background ${f.work} failed`,
    );
  }

  /** Failures of the engines' background work so far (`loci_background_failures_total`). */
  backgroundFailures(): number {
    return this.#backgroundFailures;
  }

  /** Failed background WAL checkpoints of the tenant store (0 where it runs none). */
  checkpointFailures(): number {
    return this.#opts.store.checkpointFailures?.() ?? 0;
  }

  /** Every tenant. */
  list(): Promise<TenantInfo[]> {
    return this.#opts.store.list();
  }

  /** Creates a tenant (its storage and, on SQLite, its key). */
  async create(name: string): Promise<TenantInfo> {
    const info = await this.#opts.store.create(name, this.#opts.now());
    await this.engine(name);
    return info;
  }

  /** Deletes a tenant: closes its engine and destroys its data (and key). */
  async delete(name: string): Promise<boolean> {
    if (name === "default")
      throw new LociError({ code: "INVALID_ARGUMENT", message: "the default tenant cannot be deleted" });
    if (!(await this.#opts.store.get(name))) return false;
    const open = this.#open.get(name);
    this.#open.delete(name);
    if (open) await (await open).close().catch(() => undefined);
    return this.#opts.store.delete(name, this.#opts);
  }

  /** Rotates a tenant's data key while it keeps serving; other tenants are not touched. */
  async rekey(name: string): Promise<TenantInfo> {
    return this.#opts.store.rekey(name, await this.engine(name));
  }

  /** Closes every engine. */
  async close(): Promise<void> {
    for (const opening of this.#open.values()) await (await opening.catch(() => null))?.close();
    this.#open.clear();
  }
}
