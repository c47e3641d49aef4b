/**
 * Which memories of a namespace pass a metadata filter, kept for filters that searches repeat (an
 * agent's `{ agent: "triage" }`, a ticket's `{ ticket: 4182 }`): a bitset by seq, updated by every
 * write, so a repeated filter costs one bit test per memory the ANN walk visits instead of a
 * predicate call, and its exact match count is known without testing every memory.
 *
 * A filter is cached the second time a search uses it (a one-off filter costs nothing extra); the
 * first build tests every memory once, as a selective filter's search does anyway. At most
 * {@link FILTER_CACHE_SIZE} filters are kept (least recently used out); each costs one bit per seq
 * (125 KB at a million memories) and one predicate call per write.
 *
 * Filters longer than {@link MAX_CACHED_FILTER_CHARS} as JSON are not cached.
 * Only the metadata predicate is cached: expiry, session and time conditions are checked per search.
 *
 * @module
 */
import type { FilterPredicate } from "../filter/types.js";

/** Filters kept per namespace. */
export const FILTER_CACHE_SIZE = 32;
/** Filters remembered as seen once (not yet cached). */
const SEEN_SIZE = 256;
/**
 * Longer filters (as JSON) are never cached: a long `$in` list is rarely repeated, and the keys kept
 * stay bounded (at most {@link SEEN_SIZE} + {@link FILTER_CACHE_SIZE} of this size per namespace).
 */
export const MAX_CACHED_FILTER_CHARS = 4_096;

/** The memories passing one metadata filter. */
export class FilterMatches {
  #words = new Uint32Array(0);
  #count = 0;
  readonly #predicate: FilterPredicate;

  constructor(predicate: FilterPredicate) {
    this.#predicate = predicate;
  }

  /** How many live memories pass the filter (expired ones included). */
  get count(): number {
    return this.#count;
  }

  /** Whether memory `seq` passes the filter. */
  has(seq: number): boolean {
    const w = seq >>> 5;
    return w < this.#words.length && ((this.#words[w]! >>> (seq & 31)) & 1) === 1;
  }

  /** Re-tests one memory after a write (`metadata` null: it was deleted). */
  update(seq: number, metadata: Readonly<Record<string, unknown>> | null): void {
    const pass = metadata !== null && this.#predicate(metadata);
    if (pass === this.has(seq)) return;
    const w = seq >>> 5;
    if (w >= this.#words.length) {
      const grown = new Uint32Array(Math.max(w + 1, this.#words.length * 2, 32));
      grown.set(this.#words);
      this.#words = grown;
    }
    this.#words[w]! ^= 1 << (seq & 31);
    this.#count += pass ? 1 : -1;
  }

  /** The seqs passing the filter, ascending. */
  *seqs(): IterableIterator<number> {
    const words = this.#words;
    for (let w = 0; w < words.length; w++) {
      let bits = words[w]!;
      while (bits !== 0) {
        const low = bits & -bits;
        yield (w << 5) + 31 - Math.clz32(low);
        bits ^= low;
      }
    }
  }
}

/** The {@link FilterMatches} of one namespace's repeated filters. */
export class FilterCache {
  readonly #entries = new Map<string, FilterMatches>();
  readonly #seen = new Set<string>();

  /**
   * The matches of the filter with canonical `key`, or `null` while it has not been repeated (the
   * first use only records the key; the second builds the entry from `docs`).
   */
  lookup(
    key: string,
    predicate: FilterPredicate,
    docs: Iterable<readonly [number, { metadata: Readonly<Record<string, unknown>> }]>,
  ): FilterMatches | null {
    if (key.length > MAX_CACHED_FILTER_CHARS) return null;
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    if (!this.#seen.has(key)) {
      if (this.#seen.size >= SEEN_SIZE) this.#seen.delete(this.#seen.values().next().value!);
      this.#seen.add(key);
      return null;
    }
    this.#seen.delete(key);
    const entry = new FilterMatches(predicate);
    for (const [seq, doc] of docs) entry.update(seq, doc.metadata);
    if (this.#entries.size >= FILTER_CACHE_SIZE) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, entry);
    return entry;
  }

  /** Keeps every cached filter right after a memory was written (`metadata` null: deleted). */
  update(seq: number, metadata: Readonly<Record<string, unknown>> | null): void {
    for (const entry of this.#entries.values()) entry.update(seq, metadata);
  }

  /** How many filters are cached. */
  get size(): number {
    return this.#entries.size;
  }
}
