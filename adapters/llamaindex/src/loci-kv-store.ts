/**
 * {@link LociKVStore}: a LlamaIndex key-value store over one Loci namespace.
 *
 * @module
 */
import type { StoredValue } from "@llamaindex/core/schema";
import { BaseKVStore } from "@llamaindex/core/storage/kv-store";
import type { MemoryClient } from "@loci/engine";
import { deterministicId, hasCode, listAll, toMetadata, upsertMemory } from "./internal.js";

/** LlamaIndex's default collection name. */
const DEFAULT_COLLECTION = "data";

/** Options of {@link LociKVStore}. */
export interface LociKVStoreOptions {
  /** Any `MemoryClient`: the in-process engine (`Loci.open`) or the HTTP client (`LociClient`). */
  client: MemoryClient;
  /** The Loci namespace that holds every collection of this store. */
  namespace: string;
}

/**
 * A LlamaIndex `BaseKVStore` whose entries are Loci memories: one namespace holds every
 * collection; an entry is the memory with the deterministic id of (collection, key), its value in
 * the metadata (`{ kv_collection, kv_key, kv_value }`). Plug it into `KVDocumentStore` and
 * `KVIndexStore` to keep LlamaIndex's document store and index store in Loci.
 *
 * A value must be JSON and fit Loci's metadata limit (64 KiB by default).
 *
 * @example
 * ```ts
 * const kv = new LociKVStore({ client: loci, namespace: "li-kv" });
 * const storageContext = await storageContextFromDefaults({
 *   vectorStore, docStore: new KVDocumentStore(kv), indexStore: new KVIndexStore(kv, "index_store"),
 * });
 * ```
 */
export class LociKVStore extends BaseKVStore {
  /** The Loci namespace of the store. */
  readonly namespace: string;
  readonly #client: MemoryClient;

  constructor(options: LociKVStoreOptions) {
    super();
    this.#client = options.client;
    this.namespace = options.namespace;
  }

  /** The underlying `MemoryClient`. */
  client(): MemoryClient {
    return this.#client;
  }

  /** Sets `key` in `collection` (creating or replacing the entry). */
  async put(key: string, val: StoredValue, collection: string = DEFAULT_COLLECTION): Promise<void> {
    await upsertMemory(this.#client, {
      namespace: this.namespace,
      id: entryId(collection, key),
      content: `${collection}/${key}`,
      metadata: toMetadata({ kv_collection: collection, kv_key: key, kv_value: val ?? null }),
    });
  }

  /** The value of `key` in `collection`, or `null`. */
  async get(key: string, collection: string = DEFAULT_COLLECTION): Promise<StoredValue> {
    try {
      const m = await this.#client.memory.get({ namespace: this.namespace, id: entryId(collection, key) });
      return (m.metadata.kv_value ?? null) as StoredValue;
    } catch (err) {
      if (hasCode(err, "MEMORY_NOT_FOUND") || hasCode(err, "NAMESPACE_NOT_FOUND")) return null;
      throw err;
    }
  }

  /** Every entry of `collection`, by key. */
  async getAll(collection: string = DEFAULT_COLLECTION): Promise<Record<string, StoredValue>> {
    const out: Record<string, StoredValue> = {};
    for (const m of await listAll(this.#client, this.namespace, { kv_collection: { $eq: collection } })) {
      const key = m.metadata.kv_key;
      if (typeof key === "string") out[key] = (m.metadata.kv_value ?? null) as StoredValue;
    }
    return out;
  }

  /** Removes `key` from `collection`; false if it was not there. */
  async delete(key: string, collection: string = DEFAULT_COLLECTION): Promise<boolean> {
    try {
      return await this.#client.memory.delete({ namespace: this.namespace, id: entryId(collection, key) });
    } catch (err) {
      if (hasCode(err, "NAMESPACE_NOT_FOUND")) return false;
      throw err;
    }
  }
}

function entryId(collection: string, key: string): string {
  return deterministicId("kv", collection, key);
}
