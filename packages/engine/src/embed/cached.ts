/**
 * An in-memory cache in front of any {@link Embedder}: a text embedded once is not embedded again
 * while it stays among the most recently used. Agents repeat themselves (the same ticket text searched
 * by every agent of a crew, the same question asked each turn), and with the default offline model a
 * query's embedding is most of a search's time (~20 ms on two cores, against ~1.5 ms for the search).
 *
 * - Keys are the text (short texts) or its SHA-256 (long ones), so a cached long memory costs 44
 *   bytes of key, not its content.
 * - Concurrent calls for the same text share one embedding (the in-flight request is joined).
 * - Results are copies: a caller changing its vector does not change the cache.
 * - Failures are not cached; the next call tries again.
 * - Calls that embed more than {@link KEEP_BATCHES_UP_TO} new texts (bulk ingest) are served but not
 *   kept, so an import does not evict the texts searched again and again.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { EmbedderError, ValidationError } from "../errors.js";
import type { Embedder } from "./embedder.js";

/** Texts up to this length are their own key; longer ones are keyed by their SHA-256. */
const TEXT_KEY_CHARS = 64;
/** A call with more new texts than this is not kept (see the module notes). */
export const KEEP_BATCHES_UP_TO = 32;

/** Options of {@link CachedEmbedder}. */
export interface CachedEmbedderOptions {
  /** The embedder whose vectors are cached (its `id` and `dimensions` are this one's). */
  embedder: Embedder;
  /** Most vectors kept (least recently used go first). @default 2048 (4 MiB at 512-d) */
  maxEntries?: number;
}

/**
 * Hits and misses so far, per text asked (a text asked twice in one call counts once). A text that
 * joins another call's embedding of it in flight counts as a hit: it is not embedded again.
 */
export interface EmbeddingCacheStats {
  hits: number;
  misses: number;
  entries: number;
}

function keyOf(text: string): string {
  return text.length <= TEXT_KEY_CHARS
    ? `t:${text}`
    : `h:${createHash("sha256").update(text).digest("base64")}`;
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === "AbortError";
}

/** `promise`, or an AbortError as soon as `signal` aborts (a joined request may outlive its waiter). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/**
 * Caches the vectors of another embedder.
 *
 * @example
 * ```ts
 * const embedder = new CachedEmbedder({ embedder: new UseLiteEmbedder(), maxEntries: 10_000 });
 * const [a] = await embedder.embed(["refund for order 42"]); // embedded
 * const [b] = await embedder.embed(["refund for order 42"]); // from the cache
 * ```
 */
export class CachedEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  /** The embedder behind the cache. */
  readonly inner: Embedder;
  readonly #max: number;
  /** Insertion order is recency order: a hit is moved to the end. */
  readonly #entries = new Map<string, Float32Array>();
  readonly #inFlight = new Map<string, Promise<Float32Array>>();
  #hits = 0;
  #misses = 0;

  /** @throws {ValidationError} when `maxEntries` is not a positive integer. */
  constructor(opts: CachedEmbedderOptions) {
    const max = opts.maxEntries ?? 2048;
    if (!Number.isInteger(max) || max < 1) {
      throw new ValidationError({
        message: "maxEntries must be a positive integer",
        details: { field: "maxEntries" },
      });
    }
    this.inner = opts.embedder;
    this.id = opts.embedder.id;
    this.dimensions = opts.embedder.dimensions;
    this.#max = max;
  }

  /** Hits, misses and the number of vectors held. */
  get stats(): EmbeddingCacheStats {
    return { hits: this.#hits, misses: this.#misses, entries: this.#entries.size };
  }

  embed(texts: readonly string[], options?: { signal?: AbortSignal }): Promise<Float32Array[]> {
    return this.#embed(texts, options, true);
  }

  /** `count`: false for the retry of a call whose joined request was aborted (counted already). */
  async #embed(
    texts: readonly string[],
    options: { signal?: AbortSignal } | undefined,
    count: boolean,
  ): Promise<Float32Array[]> {
    const keys = texts.map(keyOf);
    const tally = count ? 1 : 0;
    const found = new Map<string, Float32Array | Promise<Float32Array>>();
    const missing: { key: string; text: string }[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < texts.length; i++) {
      const key = keys[i]!;
      if (seen.has(key)) continue;
      seen.add(key);
      const hit = this.#entries.get(key);
      if (hit) {
        this.#entries.delete(key);
        this.#entries.set(key, hit);
        found.set(key, hit);
        this.#hits += tally;
        continue;
      }
      const pending = this.#inFlight.get(key);
      if (pending) {
        found.set(key, pending);
        this.#hits += tally;
        continue;
      }
      missing.push({ key, text: texts[i]! });
      this.#misses += tally;
    }
    if (missing.length > 0) this.#start(missing, options?.signal, found);
    try {
      const vectors = await untilAborted(Promise.all(keys.map((key) => found.get(key)!)), options?.signal);
      return vectors.map((v) => v.slice());
    } catch (err) {
      // Another caller's request was aborted: this one was not, so it embeds on its own.
      if (isAbort(err) && !options?.signal?.aborted) return this.#embed(texts, options, false);
      throw err;
    }
  }

  /** Embeds `missing` in one call of the inner embedder; each text's promise goes into `found`. */
  #start(
    missing: readonly { key: string; text: string }[],
    signal: AbortSignal | undefined,
    found: Map<string, Float32Array | Promise<Float32Array>>,
  ): void {
    const keep = missing.length <= KEEP_BATCHES_UP_TO;
    const batch = this.inner.embed(
      missing.map((m) => m.text),
      signal ? { signal } : undefined,
    );
    // The whole batch is checked first: a short answer caches none of it.
    const checked = batch.then((vectors) => {
      const bad = missing.findIndex(
        (_, i) => !(vectors[i] instanceof Float32Array) || vectors[i]!.length !== this.dimensions,
      );
      if (vectors.length !== missing.length || bad >= 0) {
        throw new EmbedderError({
          message: `Embedder "${this.id}" returned ${vectors.length} vectors for ${missing.length} texts${bad >= 0 ? ` (text ${bad + 1} has no ${this.dimensions}-d vector)` : ""}`,
          details: { embedder: this.id },
        });
      }
      return vectors;
    });
    for (const [i, { key }] of missing.entries()) {
      const settled = checked.then(
        (vectors) => {
          const v = vectors[i]!;
          this.#inFlight.delete(key);
          if (keep) this.#put(key, v);
          return v;
        },
        (err: unknown) => {
          this.#inFlight.delete(key);
          throw err;
        },
      );
      // Rejections reach every waiter through `found`; this copy is only kept for joiners.
      settled.catch(() => undefined);
      this.#inFlight.set(key, settled);
      found.set(key, settled);
    }
  }

  #put(key: string, v: Float32Array): void {
    this.#entries.delete(key);
    this.#entries.set(key, v);
    while (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** Drops every cached vector. */
  clear(): void {
    this.#entries.clear();
  }

  /** Clears the cache and closes the inner embedder. */
  async close(): Promise<void> {
    this.#entries.clear();
    await this.inner.close?.();
  }
}
