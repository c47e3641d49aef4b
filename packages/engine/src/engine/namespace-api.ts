/**
 * `client.namespace.*`: create, get, list, configure, delete.
 *
 * @module
 */
import type { Namespace, NamespaceApi, NamespaceConfigInput, NamespaceIndexing, Page } from "../types.js";
import { assertDescription, assertInteger, assertNamespaceName } from "../validation.js";
import { DEFAULT_NAMESPACE_CONFIG, IDLE, mergeConfig, toNamespace } from "./convert.js";
import type { EngineCore } from "./core.js";
import { decodeCursor, encodeCursor } from "./cursor.js";

/** The namespace section of the embedded client. */
export class NamespaceService implements NamespaceApi {
  readonly #core: EngineCore;

  constructor(core: EngineCore) {
    this.#core = core;
  }

  async #toPublic(name: string): Promise<Namespace> {
    const rec = await this.#core.record(name);
    const store = await this.#core.driver.openNamespace(name);
    return toNamespace(rec, await store.count(), await this.#indexing(name));
  }

  /** The namespace's background work in this engine (none unless its runtime is open). */
  async #indexing(name: string): Promise<NamespaceIndexing> {
    const rt = await this.#core.openRuntime(name);
    return !rt || rt.closed ? IDLE : this.#core.indexingOf(rt);
  }

  async create(opts: {
    name: string;
    description?: string;
    config?: NamespaceConfigInput;
  }): Promise<Namespace> {
    this.#core.assertOpen();
    const name = assertNamespaceName(opts?.name, "name");
    const description = opts.description === undefined ? "" : assertDescription(opts.description);
    const config = mergeConfig(DEFAULT_NAMESPACE_CONFIG, (opts.config ?? {}) as Record<string, unknown>);
    const now = this.#core.clock.now();
    await this.#core.assertNamespaceQuota();
    await this.#core.driver.createNamespace({ name, description, config, createdAt: now, updatedAt: now });
    return this.#toPublic(name);
  }

  async get(opts: { namespace: string }): Promise<Namespace> {
    return this.#toPublic(assertNamespaceName(opts?.namespace));
  }

  async list(opts: { cursor?: string; limit?: number } | null = {}): Promise<Page<Namespace>> {
    this.#core.assertOpen();
    const limit =
      opts?.limit === undefined ? 100 : assertInteger(opts.limit, "limit", 1, this.#core.limits.pageSize);
    const after = opts?.cursor === undefined ? null : decodeCursor(opts.cursor, "namespaces");
    const all = await this.#core.driver.listNamespaces();
    const rest = after === null ? all : all.filter((r) => r.name > String(after));
    const page = rest.slice(0, limit);
    const items: Namespace[] = [];
    for (const rec of page) {
      const store = await this.#core.driver.openNamespace(rec.name);
      items.push(toNamespace(rec, await store.count(), await this.#indexing(rec.name)));
    }
    const nextCursor = rest.length > limit ? encodeCursor(page[page.length - 1]!.name, "namespaces") : null;
    return { items, nextCursor };
  }

  async configure(
    opts: { namespace: string; description?: string } & NamespaceConfigInput,
  ): Promise<Namespace> {
    const name = assertNamespaceName(opts?.namespace);
    return this.#core.use(name, async (rt) => {
      await rt.write(async () => {
        const rec = await this.#core.record(name);
        const { namespace: _n, description, ...config } = opts;
        const next = {
          ...rec,
          description: description === undefined ? rec.description : assertDescription(description),
          config: mergeConfig(rec.config, config as Record<string, unknown>),
          updatedAt: this.#core.clock.now(),
        };
        // A new m or efConstruction rebuilds the graph in the background (the record setter,
        // `graph-rebuilder.ts`); searches use the current one until the new one is complete.
        // Memories already stored get their sentence vectors in the background (`sentence-backfill.ts`).
        // The progress is recorded first: a crash before the catalog update leaves the option off.
        if (next.config.sentenceVectors && !rec.config.sentenceVectors && rt.maxSeq > 0)
          await rt.store.setSentenceBackfill({ after: 0, through: rt.maxSeq });
        await this.#core.driver.updateNamespace(next);
        rt.record = next;
      });
      this.#core.backfill(rt);
      return this.#toPublic(name);
    });
  }

  async delete(opts: { namespace: string }): Promise<boolean> {
    const name = assertNamespaceName(opts?.namespace);
    this.#core.assertOpen();
    // After the operations running on it; the ones arriving meanwhile wait, then find it gone.
    return this.#core.exclusive(name, async () => {
      // A close to stay within maxOpenNamespaces finishes first (it may still be writing a snapshot).
      await this.#core.whenClosed(name);
      const rt = await this.#core.openRuntime(name);
      if (rt) {
        await rt.close({ snapshot: false });
        this.#core.forget(name);
      }
      return this.#core.driver.deleteNamespace(name);
    });
  }
}
