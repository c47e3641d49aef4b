/**
 * {@link LociStore}: LangGraph's long-term memory `BaseStore` over a Loci {@link MemoryClient}.
 *
 * @module
 */
import {
  BaseStore,
  type GetOperation,
  type Item,
  type ListNamespacesOperation,
  type MatchCondition,
  type Operation,
  type OperationResults,
  type PutOperation,
  type SearchItem,
  type SearchOperation,
  validateNamespace,
} from "@langchain/langgraph-checkpoint";
import {
  LociError,
  type Memory,
  type MemoryClient,
  type Metadata,
  type SearchMode,
  type SearchResult,
} from "@loci/engine";
import { deleteIds } from "./internal/delete-ids.js";
import {
  itemId,
  matchesFilter,
  namespaceMetadata,
  prefixKey,
  pushDownFilter,
  textsAtPaths,
} from "./internal/store-encoding.js";

/** Options of {@link LociStore}. */
export interface LociStoreOptions {
  /** Any Loci client: the in-process `Loci` engine or the HTTP `LociClient`. */
  client: MemoryClient;
  /** The one Loci namespace holding every item of this store. @default "langgraph-store" */
  namespace?: string;
  /** Default fields to embed (LangGraph index paths). @default ["$"] (the whole value as JSON) */
  fields?: string[];
  /** How `search({ query })` ranks. @default "hybrid" */
  mode?: SearchMode;
}

type Filter = Record<string, unknown>;
const MAX_PAGE = 1000;

/**
 * A LangGraph `BaseStore` whose items are Loci memories, so `createAgent({ store })`, tools
 * (`runtime.store`) and middleware read and write long-term memory in Loci.
 *
 * Mapping: every item lives in **one** Loci namespace (`options.namespace`). An item is the memory
 * with id `lg_` + sha256(`JSON.stringify([namespace, key])`), content = the text to embed (the value
 * as pretty JSON, or the `index` fields), metadata `{ lg_ns, lg_ns_json, lg_ns_path, lg_depth,
 * lg_p1…lg_pN, lg_key, lg_indexed, value }`. Namespace-prefix search is the exact filter
 * `lg_p<n> = JSON.stringify(prefix)`; a `put` with `index: false` is stored with `lg_indexed: false`
 * and is not ranked by query search (like `InMemoryStore`, it is appended unscored when fewer than
 * `limit` ranked items match).
 *
 * Semantics follow LangGraph's `InMemoryStore`: puts of one batch apply after its reads, the last
 * put of a key wins, filters compare top-level value keys strictly (`$gt`… numerically), search
 * without `query` returns the newest (`updatedAt`) first, with `query` by Loci's score.
 *
 * @example
 * ```ts
 * const store = new LociStore({ client: loci });
 * await store.put(["users", "u1"], "prefs", { theme: "dark" });
 * const hits = await store.search(["users"], { query: "dark theme" });
 * ```
 */
export class LociStore extends BaseStore {
  /** The Loci client. */
  readonly client: MemoryClient;
  /** The Loci namespace holding the items. */
  readonly namespace: string;
  private readonly fields: string[];
  private readonly mode: SearchMode;
  private ready: Promise<void> | undefined;

  constructor(options: LociStoreOptions) {
    super();
    this.client = options.client;
    this.namespace = options.namespace ?? "langgraph-store";
    this.fields = options.fields ?? ["$"];
    this.mode = options.mode ?? "hybrid";
  }

  /** Executes operations; results come back in operation order, puts apply after the reads. */
  async batch<Op extends Operation[]>(operations: Op): Promise<OperationResults<Op>> {
    await this.ensureNamespace();
    const results: unknown[] = new Array(operations.length).fill(null);
    const puts = new Map<string, PutOperation>();
    const reads: Promise<void>[] = [];
    operations.forEach((op, i) => {
      if ("namespace" in op) validateNamespace(op.namespace, { allowReservedRoot: true });
      if ("value" in op) {
        puts.delete(itemId(op.namespace, op.key));
        puts.set(itemId(op.namespace, op.key), op);
      } else if ("namespacePrefix" in op) {
        if (op.namespacePrefix.length > 0) validateNamespace(op.namespacePrefix, { allowReservedRoot: true });
        reads.push(
          this.searchOp(op).then((r) => {
            results[i] = r;
          }),
        );
      } else if ("matchConditions" in op || ("limit" in op && !("key" in op))) {
        reads.push(
          this.listOp(op as ListNamespacesOperation).then((r) => {
            results[i] = r;
          }),
        );
      } else {
        reads.push(
          this.getOp(op as GetOperation).then((r) => {
            results[i] = r;
          }),
        );
      }
    });
    await Promise.all(reads);
    // Deletes go together (one request per 1,000 keys); each key's last operation is the one applied.
    const ids = [...puts.values()]
      .filter((op) => op.value === null)
      .map((op) => itemId(op.namespace, op.key));
    await deleteIds(this.client, this.namespace, ids);
    for (const op of puts.values()) if (op.value !== null) await this.putOp(op);
    return results as OperationResults<Op>;
  }

  private ensureNamespace(): Promise<void> {
    this.ready ??= (async () => {
      try {
        await this.client.namespace.create({ name: this.namespace, description: "LangGraph store items" });
      } catch (err) {
        if (!(LociError.isInstance(err) && err.code === "ALREADY_EXISTS")) {
          this.ready = undefined;
          throw err;
        }
      }
    })();
    return this.ready;
  }

  private toItem(m: Memory): Item {
    const meta = m.metadata;
    return {
      value: meta.value as Record<string, unknown>,
      key: meta.lg_key as string,
      namespace: meta.lg_ns as string[],
      createdAt: new Date(m.createdAt),
      updatedAt: new Date(m.updatedAt),
    };
  }

  private async getOp(op: GetOperation): Promise<Item | null> {
    try {
      return this.toItem(
        await this.client.memory.get({ namespace: this.namespace, id: itemId(op.namespace, op.key) }),
      );
    } catch (err) {
      if (LociError.isInstance(err) && err.code === "MEMORY_NOT_FOUND") return null;
      throw err;
    }
  }

  private async putOp(op: PutOperation): Promise<void> {
    const id = itemId(op.namespace, op.key);
    const value = op.value!;
    const texts = op.index === false ? [] : textsAtPaths(value, op.index ?? this.fields);
    const indexed = texts.some((t) => t.trim() !== "");
    const content = indexed ? texts.join("\n") : JSON.stringify(value, null, 2);
    const metadata: Metadata = {
      ...namespaceMetadata(op.namespace),
      lg_key: op.key,
      lg_indexed: indexed,
      value: value as Metadata,
    };
    try {
      await this.client.memory.update({ namespace: this.namespace, id, content, metadata });
    } catch (err) {
      if (!(LociError.isInstance(err) && err.code === "MEMORY_NOT_FOUND")) throw err;
      try {
        await this.client.memory.add({ namespace: this.namespace, id, content, metadata });
      } catch (err2) {
        // A concurrent writer created it first: last write wins.
        if (!(LociError.isInstance(err2) && err2.code === "ALREADY_EXISTS")) throw err2;
        await this.client.memory.update({ namespace: this.namespace, id, content, metadata });
      }
    }
  }

  private prefixFilter(prefix: readonly string[]): Filter {
    return prefix.length === 0 ? {} : { [prefixKey(prefix.length)]: JSON.stringify(prefix) };
  }

  /** Every memory matching a Loci filter (paged through). */
  private async listAll(filter: Filter): Promise<Memory[]> {
    const out: Memory[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.client.memory.list({
        namespace: this.namespace,
        limit: MAX_PAGE,
        ...(Object.keys(filter).length ? { filter } : {}),
        ...(cursor ? { cursor } : {}),
      });
      out.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return out;
  }

  private async searchOp(op: SearchOperation): Promise<SearchItem[]> {
    const limit = op.limit ?? 10;
    const offset = op.offset ?? 0;
    const userFilter = op.filter as Filter | undefined;
    const pushed = pushDownFilter(userFilter);
    const base: Filter = { ...this.prefixFilter(op.namespacePrefix), ...pushed.loci };
    const keep = (m: Memory) => matchesFilter(m.metadata.value as Filter, userFilter);
    const byRecency = (a: Memory, b: Memory) => Date.parse(b.updatedAt) - Date.parse(a.updatedAt);

    if (!op.query) {
      const all = (await this.listAll(base)).filter(keep).sort(byRecency);
      return all.slice(offset, offset + limit).map((m) => ({ ...this.toItem(m), score: undefined }));
    }

    // Ranked: only indexed items. When part of the filter is evaluated here, over-fetch and widen the
    // search until enough hits pass it or every candidate was seen (up to Loci's largest page).
    const want = offset + limit;
    let fetch = Math.min(MAX_PAGE, Math.max(1, pushed.complete ? want : Math.max(want * 5, 100)));
    let kept: SearchResult[];
    for (;;) {
      const hits = await this.client.memory.search({
        namespace: this.namespace,
        query: op.query,
        mode: this.mode,
        limit: fetch,
        metadataFilter: { ...base, lg_indexed: true },
      });
      kept = hits.filter((h) => keep(h.memory));
      if (kept.length >= want || hits.length < fetch || fetch >= MAX_PAGE) break;
      fetch = Math.min(MAX_PAGE, fetch * 4);
    }
    const ranked = kept.slice(offset, want);
    const out: SearchItem[] = ranked.map((h) => ({ ...this.toItem(h.memory), score: h.score }));
    if (out.length < limit) {
      const unindexed = (await this.listAll({ ...base, lg_indexed: false })).filter(keep).sort(byRecency);
      for (const m of unindexed.slice(0, limit - out.length))
        out.push({ ...this.toItem(m), score: undefined });
    }
    return out;
  }

  private async listOp(op: ListNamespacesOperation): Promise<string[][]> {
    const conditions = op.matchConditions ?? [];
    // A literal leading run of a prefix condition narrows the scan with an exact filter.
    let filter: Filter = {};
    for (const c of conditions) {
      if (c.matchType !== "prefix") continue;
      const star = c.path.indexOf("*");
      const literal = (star === -1 ? c.path : c.path.slice(0, star)) as string[];
      if (literal.length > 0) filter = this.prefixFilter(literal);
    }
    const seen = new Map<string, string[]>();
    for (const m of await this.listAll(filter)) {
      const ns = m.metadata.lg_ns as string[];
      if (!conditions.every((c) => matches(c, ns))) continue;
      const cut = op.maxDepth !== undefined ? ns.slice(0, op.maxDepth) : ns;
      seen.set(JSON.stringify(cut), cut);
    }
    const all = [...seen.values()].sort((a, b) => a.join(":").localeCompare(b.join(":")));
    const offset = op.offset ?? 0;
    return all.slice(offset, offset + (op.limit ?? all.length));
  }
}

function matches(c: MatchCondition, ns: readonly string[]): boolean {
  if (c.path.length > ns.length) return false;
  const start = c.matchType === "prefix" ? 0 : ns.length - c.path.length;
  return c.path.every((p, i) => p === "*" || ns[start + i] === p);
}
