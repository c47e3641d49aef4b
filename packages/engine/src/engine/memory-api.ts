/**
 * `client.memory.*`: add, addMany, get, update, delete, list, search, recall.
 *
 * A write validates everything first, embeds outside the namespace's write lock, then commits under
 * the lock (durably) and only then updates the in-memory indexes and resolves.
 *
 * @module
 */
import { EmbeddingMismatchError, NotFoundError, ValidationError } from "../errors.js";
import type { MemoryRecord, MemoryRecordPatch, NewMemoryRecord } from "../storage/driver.js";
import { removalInfo } from "../storage/removed-ids.js";
import type {
  AddOptions,
  CountMemoriesOptions,
  DeleteManyOptions,
  DeleteManyResult,
  ListMemoriesOptions,
  Memory,
  MemoryApi,
  MemoryInput,
  MemoryPatch,
  MemoryRemovalInfo,
  Page,
  SearchOptions,
  SearchResult,
} from "../types.js";
import { uuidv7 } from "../util/ids.js";
import { isoTime as iso } from "../util/iso-time.js";
import {
  assertBoolean,
  assertContent,
  assertId,
  assertImportance,
  assertInteger,
  toEpochMs,
  toVector,
  validateMetadata,
} from "../validation.js";
import { commitInserts, type InsertRequest } from "./commit-inserts.js";
import { toMemory, toOwnMemory } from "./convert.js";
import type { EngineCore } from "./core.js";
import { decodeCursor, encodeCursor, queryTag } from "./cursor.js";
import { deleteMany } from "./delete-many.js";
import type { DocInfo } from "./doc-table.js";
import { toMemoryEntityLinks } from "./graph-model.js";
import { GroupCommit } from "./group-commit.js";
import { memorySelector } from "./memory-selector.js";
import type { NamespaceRuntime } from "./namespace-runtime.js";
import { search } from "./search.js";
import { embedSentences } from "./sentence-vectors.js";

interface PreparedMemory {
  record: Omit<NewMemoryRecord, "embedding">;
  embedding: Float32Array | null;
}

/** The memory section of the embedded client. */
export class MemoryService implements MemoryApi {
  readonly #core: EngineCore;
  readonly #groups = new WeakMap<NamespaceRuntime, GroupCommit<InsertRequest, MemoryRecord[]>>();

  constructor(core: EngineCore) {
    this.#core = core;
  }

  /**
   * Validates one memory input. `prefix` names its fields in errors: `""` for `add` (the caller's
   * options are the memory), `memories[i].` for `addMany`.
   */
  #prepare(input: MemoryInput, now: number, prefix: string, dims: number): PreparedMemory {
    if (typeof input !== "object" || input === null) {
      const field = prefix === "" ? "memory" : prefix.slice(0, -1);
      throw new ValidationError({ message: `${field} must be an object`, details: { field } });
    }
    const f = (name: string) => `${prefix}${name}`;
    const createdAt = input.createdAt === undefined ? now : toEpochMs(input.createdAt, f("createdAt"));
    return {
      record: {
        id: input.id === undefined ? uuidv7(now) : assertId(input.id, f("id")),
        content: assertContent(input.content, f("content"), this.#core.limits.contentChars),
        metadata: validateMetadata(input.metadata, f("metadata"), this.#core.limits.metadataBytes),
        sessionId: input.sessionId === undefined ? null : assertId(input.sessionId, f("sessionId")),
        agentId: input.agentId === undefined ? null : assertId(input.agentId, f("agentId")),
        importance:
          input.importance === undefined ? 0.5 : assertImportance(input.importance, f("importance")),
        createdAt,
        updatedAt: createdAt,
        lastAccessedAt: createdAt,
        accessCount: 0,
        expiresAt: input.expiresAt === undefined ? null : toEpochMs(input.expiresAt, f("expiresAt")),
        entities: toMemoryEntityLinks(input.entities, f("entities")),
      },
      embedding: input.embedding === undefined ? null : toVector(input.embedding, dims, f("embedding")),
    };
  }

  /** The dimension writes to this namespace must have, checking the recorded model. */
  #dimensions(rt: NamespaceRuntime, embedsText: boolean): number {
    const recorded = rt.record.config.embedding;
    const { embedder } = this.#core;
    if (recorded && embedsText && recorded.model !== embedder.id) {
      throw new EmbeddingMismatchError({
        message: `namespace "${rt.name}" holds embeddings of "${recorded.model}" but this engine embeds with "${embedder.id}"`,
        details: { expected: recorded.model, got: embedder.id },
      });
    }
    return recorded?.dimensions ?? embedder.dimensions;
  }

  async #embedMissing(prepared: PreparedMemory[]): Promise<Float32Array[]> {
    const missing = prepared.filter((p) => p.embedding === null);
    const vectors = missing.length
      ? await this.#core.embedder.embed(missing.map((p) => p.record.content))
      : [];
    let i = 0;
    return prepared.map((p) => p.embedding ?? vectors[i++]!);
  }

  /** Records the embedding model at the namespace's first write (inside the write lock). */
  async #fixEmbedding(rt: NamespaceRuntime, dimensions: number): Promise<void> {
    if (rt.record.config.embedding) return;
    const next = {
      ...rt.record,
      config: { ...rt.record.config, embedding: { model: this.#core.embedder.id, dimensions } },
      updatedAt: this.#core.clock.now(),
    };
    await this.#core.driver.updateNamespace(next);
    rt.record = next;
  }

  async #insert(
    namespace: string,
    inputs: readonly MemoryInput[],
    opts: { batch: boolean } & AddOptions,
  ): Promise<Memory[]> {
    this.#core.assertOpen();
    const now = this.#core.clock.now();
    const refuseRemoved =
      opts.refuseRemovedIds !== undefined && assertBoolean(opts.refuseRemovedIds, "refuseRemovedIds");
    const dedupe = opts.dedupe !== undefined && assertBoolean(opts.dedupe, "dedupe");
    return this.#core.use(
      namespace,
      async (rt) => {
        const dims = this.#dimensions(
          rt,
          inputs.some((m) => m?.embedding === undefined),
        );
        const prepared = inputs.map((m, i) =>
          this.#prepare(m, now, opts.batch ? `memories[${i}].` : "", dims),
        );
        const ids = new Set<string>();
        for (const p of prepared) {
          if (ids.has(p.record.id)) {
            throw new ValidationError({
              message: `duplicate id "${p.record.id}" in batch`,
              details: { field: "id" },
            });
          }
          ids.add(p.record.id);
        }
        const embeddings = await this.#embedMissing(prepared);
        for (const e of embeddings) if (e.length !== dims) toVector(e, dims, "embedding");
        // Sentence vectors only for memories whose text the engine embeds (same model as the whole text).
        const sentences =
          rt.record.config.sentenceVectors === true
            ? await embedSentences(
                this.#core.embedder,
                prepared.map((p) => (p.embedding === null ? p.record.content : "")),
              )
            : null;
        const records = prepared.map((p, i) => ({
          ...p.record,
          embedding: embeddings[i]!,
          ...(sentences?.[i]?.length ? { sentenceEmbeddings: sentences[i] } : {}),
        }));
        const inserted = await this.#groupOf(rt).submit({ records, dims, refuseRemoved, dedupe });
        // The records are also the in-memory attribute table's: the caller gets its own metadata.
        return inserted.map((r) => toOwnMemory(namespace, r));
      },
      { create: true },
    );
  }

  /** The group commit of a namespace's inserts (see `group-commit.ts`). */
  #groupOf(rt: NamespaceRuntime): GroupCommit<InsertRequest, MemoryRecord[]> {
    let group = this.#groups.get(rt);
    if (!group) {
      group = new GroupCommit({
        exclusive: (task) => rt.write(task),
        commit: (requests) =>
          commitInserts(rt, requests, {
            now: () => this.#core.clock.now(),
            fixEmbedding: (dims) => this.#fixEmbedding(rt, dims),
          }),
        weight: (r) => r.records.length,
        maxWeight: this.#core.limits.batchSize,
      });
      this.#groups.set(rt, group);
    }
    return group;
  }

  async add(opts: { namespace: string } & MemoryInput & AddOptions): Promise<Memory> {
    const [memory] = await this.#insert(opts?.namespace, [opts], {
      batch: false,
      refuseRemovedIds: opts?.refuseRemovedIds,
      dedupe: opts?.dedupe,
    });
    return memory!;
  }

  store(opts: { namespace: string } & MemoryInput & AddOptions): Promise<Memory> {
    return this.add(opts);
  }

  async addMany(
    opts: { namespace: string; memories: readonly MemoryInput[] } & AddOptions,
  ): Promise<Memory[]> {
    if (!Array.isArray(opts?.memories)) {
      throw new ValidationError({ message: "memories must be an array", details: { field: "memories" } });
    }
    if (opts.memories.length > this.#core.limits.batchSize) {
      throw new ValidationError({
        code: "PAYLOAD_TOO_LARGE",
        message: `a batch holds at most ${this.#core.limits.batchSize} memories (got ${opts.memories.length})`,
        details: { field: "memories" },
      });
    }
    if (opts.memories.length === 0) return [];
    return this.#insert(opts.namespace, opts.memories, {
      batch: true,
      refuseRemovedIds: opts.refuseRemovedIds,
      dedupe: opts.dedupe,
    });
  }

  /** MEMORY_NOT_FOUND, with `details.removed` when the change log says how the memory went. */
  #notFound(namespace: string, id: string, removed: MemoryRemovalInfo | null = null): NotFoundError {
    return new NotFoundError({
      code: "MEMORY_NOT_FOUND",
      message: removed
        ? `memory "${id}" in "${namespace}" was ${removed.reason} at ${removed.at}`
        : `memory "${id}" not found in "${namespace}"`,
      ...(removed ? { details: { removed } } : {}),
    });
  }

  /** MEMORY_NOT_FOUND tells how a removed memory went (`details.removed`, see {@link MemoryRemovalInfo}). */
  async get(opts: { namespace: string; id: string }): Promise<Memory> {
    return this.#core.use(opts?.namespace, async (rt) => {
      const id = assertId(opts.id, "id");
      const doc = rt.docById(id);
      if (doc && !rt.visible(doc, this.#core.clock.now())) throw await this.#missing(rt, id, doc);
      const [rec] = doc ? await rt.store.getBySeq([doc.seq]) : [];
      if (!rec) throw await this.#missing(rt, id);
      return toMemory(rt.name, rec);
    });
  }

  /**
   * MEMORY_NOT_FOUND for a memory that is not there, saying how it went: `expired` for one still in the
   * table (`doc`) but past its expiry, otherwise from the change log.
   */
  async #missing(rt: NamespaceRuntime, id: string, doc?: DocInfo): Promise<NotFoundError> {
    if (doc?.expiresAt != null)
      return this.#notFound(rt.name, id, { reason: "expired", at: iso(doc.expiresAt) });
    const removal = (await rt.store.removals([id])).get(id);
    return this.#notFound(rt.name, id, removal ? removalInfo(removal) : null);
  }

  async update(opts: { namespace: string; id: string } & MemoryPatch): Promise<Memory> {
    return this.#core.use(opts?.namespace, async (rt) => {
      const id = assertId(opts.id, "id");
      const now = this.#core.clock.now();
      const patch: MemoryRecordPatch = { updatedAt: now };
      if (opts.content !== undefined)
        patch.content = assertContent(opts.content, "content", this.#core.limits.contentChars);
      if (opts.metadata !== undefined) {
        patch.metadata = validateMetadata(opts.metadata, "metadata", this.#core.limits.metadataBytes);
      }
      if (opts.importance !== undefined) patch.importance = assertImportance(opts.importance);
      if (opts.expiresAt !== undefined) {
        patch.expiresAt = opts.expiresAt === null ? null : toEpochMs(opts.expiresAt, "expiresAt");
      }
      const dims = this.#dimensions(rt, opts.content !== undefined && opts.embedding === undefined);
      if (opts.embedding !== undefined) patch.embedding = toVector(opts.embedding, dims, "embedding");
      else if (patch.content !== undefined)
        [patch.embedding] = await this.#core.embedder.embed([patch.content]);
      if (patch.content !== undefined && opts.embedding === undefined) {
        // New text: new sentence vectors (or none), never the old text's.
        patch.sentenceEmbeddings =
          rt.record.config.sentenceVectors === true
            ? (await embedSentences(this.#core.embedder, [patch.content]))[0]!
            : [];
      } else if (opts.embedding !== undefined) {
        // The caller's own vector: the engine's sentence vectors no longer belong with it (as at insert).
        patch.sentenceEmbeddings = [];
      }
      return rt.write(async () => {
        const doc = rt.docById(id);
        if (!doc || !rt.visible(doc, now)) throw await this.#missing(rt, id, doc);
        if (patch.embedding) await this.#fixEmbedding(rt, dims);
        const rec = await rt.store.update(id, patch);
        if (!rec) throw await this.#missing(rt, id);
        rt.applyUpserts([{ ...rec, embedding: patch.embedding ?? null }], await rt.store.generation());
        return toOwnMemory(rt.name, rec);
      });
    });
  }

  deleteMany(opts: DeleteManyOptions): Promise<DeleteManyResult> {
    return deleteMany(this.#core, opts);
  }

  async delete(opts: { namespace: string; id: string }): Promise<boolean> {
    return this.#core.use(opts?.namespace, async (rt) => {
      const id = assertId(opts.id, "id");
      return rt.write(async () => {
        const deleted = await rt.store.delete([id], this.#core.clock.now());
        rt.applyDeletes(deleted, await rt.store.generation());
        return deleted.length > 0;
      });
    });
  }

  async list(opts: ListMemoriesOptions): Promise<Page<Memory>> {
    return this.#core.use(opts?.namespace, async (rt) => {
      const limit =
        opts.limit === undefined ? 50 : assertInteger(opts.limit, "limit", 1, this.#core.limits.pageSize);
      const selector = memorySelector(opts, this.#core.limits.filter);
      const tag = queryTag([rt.name, selector.sessionId, opts.filter ?? null]);
      const after = opts.cursor === undefined ? 0 : Number(decodeCursor(opts.cursor, tag));
      const now = this.#core.clock.now();
      const seqs: number[] = [];
      let more = false;
      for (const [seq, doc] of rt.docs) {
        if (seq <= after || !rt.visible(doc, now) || !selector.matches(doc)) continue;
        if (seqs.length === limit) {
          more = true;
          break;
        }
        seqs.push(seq);
      }
      const records = await rt.store.getBySeq(seqs);
      return {
        items: records.map((r) => toMemory(rt.name, r)),
        nextCursor: more ? encodeCursor(seqs[seqs.length - 1]!, tag) : null,
      };
    });
  }

  async count(opts: CountMemoriesOptions): Promise<number> {
    return this.#core.use(opts?.namespace, async (rt) => {
      const selector = memorySelector(opts, this.#core.limits.filter);
      const now = this.#core.clock.now();
      if (selector.sessionId === null && selector.predicate === null && rt.expiring === 0)
        return rt.docs.size;
      let n = 0;
      for (const doc of rt.docs.values()) if (rt.visible(doc, now) && selector.matches(doc)) n++;
      return n;
    });
  }

  search(opts: SearchOptions): Promise<SearchResult[]> {
    return search(this.#core, opts);
  }

  async recall(opts: Omit<SearchOptions, "limit"> & { topK?: number }): Promise<SearchResult[]> {
    const { topK, ...rest } = opts ?? ({} as typeof opts);
    // Validated here so that an error names the option the caller gave.
    if (topK !== undefined) assertInteger(topK, "topK", 1, this.#core.limits.searchLimit);
    return search(this.#core, { ...rest, ...(topK === undefined ? {} : { limit: topK }) });
  }
}
