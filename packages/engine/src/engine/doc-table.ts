/**
 * The in-memory attribute table of one open namespace: every live memory's attributes by seq (for
 * filtering, ranking and pagination), ids to seqs, the cached matches of repeated metadata filters,
 * and the counts searches consult (memories that expire, the highest seq). The indexes of the
 * memories' content and vectors are the runtime's (`namespace-runtime.ts`), not this table's.
 *
 * @module
 */
import type { MemoryRecord } from "../storage/driver.js";
import { FilterCache } from "./filter-cache.js";

/** What the runtime keeps in memory per memory: everything but content, embedding and entity links. */
export type DocInfo = Omit<MemoryRecord, "content" | "embedding" | "entities">;

/** Live memories' attributes, kept in ascending seq order. */
export class DocTable {
  /** Live memories by seq, in ascending seq order (Map keeps insertion order). */
  readonly docs = new Map<number, DocInfo>();
  readonly seqById = new Map<string, number>();
  /** The matches of metadata filters that searches repeat, kept in step by every change. */
  readonly filters = new FilterCache();
  #expiring = 0;
  #maxSeq = 0;
  /** A memory was entered below `maxSeq`: `docs` is out of seq order until {@link DocTable.restoreOrder}. */
  #unordered = false;

  /** Memories with an expiry time (so searches know whether expiry checks are needed). */
  get expiring(): number {
    return this.#expiring;
  }

  /** The highest seq ever entered (seqs are never reused; a bound for sampling, see `filter-estimate.ts`). */
  get maxSeq(): number {
    return this.#maxSeq;
  }

  /** The attributes of the memory with this id, if it is here. */
  byId(id: string): DocInfo | undefined {
    const seq = this.seqById.get(id);
    return seq === undefined ? undefined : this.docs.get(seq);
  }

  /** Enters or replaces a memory's attributes; whether it was new. */
  put(rec: MemoryRecord): boolean {
    const prev = this.docs.get(rec.seq);
    if (prev?.expiresAt != null) this.#expiring--;
    // Spelled out, not a rest spread: one fixed shape with in-object fields (the spread's object kept
    // its fields in a separate property array, ~85 bytes more per memory) and nothing else carried.
    const info: DocInfo = {
      seq: rec.seq,
      id: rec.id,
      metadata: rec.metadata,
      sessionId: rec.sessionId,
      agentId: rec.agentId,
      importance: rec.importance,
      createdAt: rec.createdAt,
      updatedAt: rec.updatedAt,
      lastAccessedAt: rec.lastAccessedAt,
      accessCount: rec.accessCount,
      expiresAt: rec.expiresAt,
    };
    this.docs.set(rec.seq, info);
    this.filters.update(rec.seq, info.metadata);
    // A new memory below the highest seq (shared storage: another process's insert committed after
    // a later one) breaks the table's seq order, which `list` pages by: restored after the batch.
    if (!prev && rec.seq < this.#maxSeq) this.#unordered = true;
    if (rec.seq > this.#maxSeq) this.#maxSeq = rec.seq;
    this.seqById.set(rec.id, rec.seq);
    if (info.expiresAt != null) this.#expiring++;
    return !prev;
  }

  /** Drops a memory's attributes; whether it was here. */
  delete(seq: number): boolean {
    const doc = this.docs.get(seq);
    if (!doc) return false;
    if (doc.expiresAt != null) this.#expiring--;
    this.docs.delete(seq);
    this.filters.update(seq, null);
    this.seqById.delete(doc.id);
    return true;
  }

  /** Puts {@link DocTable.docs} back in ascending seq order after an insert out of order. */
  restoreOrder(): void {
    if (!this.#unordered) return;
    this.#unordered = false;
    const entries = [...this.docs].sort(([a], [b]) => a - b);
    this.docs.clear();
    for (const [seq, doc] of entries) this.docs.set(seq, doc);
  }

  /** Counts search hits at `at` on the memories still here; the seqs it counted. */
  touch(seqs: readonly number[], at: number): number[] {
    const hits: number[] = [];
    for (const seq of seqs) {
      const doc = this.docs.get(seq);
      if (!doc) continue;
      doc.lastAccessedAt = Math.max(doc.lastAccessedAt, at);
      doc.accessCount++;
      hits.push(seq);
    }
    return hits;
  }
}
