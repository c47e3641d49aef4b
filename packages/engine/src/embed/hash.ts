/**
 * A deterministic, model-free embedder: hashed words and character n-grams ("feature hashing").
 *
 * Instant and dependency-free, good at shared words, names, IDs and typos, blind to paraphrases that
 * share no words. Use it for tests, CI, as a fallback when no model is available, or as the lexical
 * half of a hybrid score.
 *
 * @module
 */
import { ValidationError } from "../errors.js";
import { type Embedder, normalize } from "./embedder.js";

/** Options of {@link HashEmbedder}. */
export interface HashEmbedderOptions {
  /** Length of the output vectors (number of hash buckets). @default 512 */
  dimensions?: number;
  /** Character n-gram sizes taken from each word (with `<`/`>` boundaries). @default [3, 4, 5] */
  ngrams?: number[];
}

const DEFAULT_DIMENSIONS = 512;
const DEFAULT_NGRAMS: readonly number[] = [3, 4, 5];
const MAX_DIMENSIONS = 65_536;
const MAX_NGRAM = 16;
const WORD_WEIGHT = 1;
const NGRAM_WEIGHT = 0.5;
/** The feature embedded for texts with no words left (empty, punctuation, emoji, stop words only). */
const EMPTY_FEATURE = "__empty__";

/** A small English stop-word list: function words that carry no topic. */
const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    "a an the and or but if then else of at by for with about against between into through during before " +
    "after above below to from up down in out on off over under again further once here there when where " +
    "why how all any both each few more most other some such no nor not only own same so than too very " +
    "can will just should now is am are was were be been being have has had having do does did i me my we " +
    "our you your he him his she her it its they them their what which who whom this that these those"
  ).split(" "),
);

/** Splits on anything that is not a letter, a combining mark or a digit. */
const WORD_SPLIT = /[^\p{L}\p{M}\p{N}]+/u;
/** Detects astral characters, which take two UTF-16 units. */
const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * FNV-1a (32-bit) of a string's UTF-8 bytes, computed without allocating.
 * @internal
 */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  const step = (byte: number) => {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  };
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    if (cp < 0x80) step(cp);
    else if (cp < 0x800) {
      step(0xc0 | (cp >> 6));
      step(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      step(0xe0 | (cp >> 12));
      step(0x80 | ((cp >> 6) & 0x3f));
      step(0x80 | (cp & 0x3f));
    } else {
      step(0xf0 | (cp >> 18));
      step(0x80 | ((cp >> 12) & 0x3f));
      step(0x80 | ((cp >> 6) & 0x3f));
      step(0x80 | (cp & 0x3f));
    }
  }
  return h >>> 0;
}

/**
 * Hashed word + character n-gram embedder.
 *
 * Algorithm: NFKC-normalise and lower-case the text, split it into words on anything that is not a
 * letter or digit (Unicode-aware), drop English stop words; for each word add the feature
 * `w:<word>` (weight 1) and its character n-grams of `<word>` (weight 0.5); hash each feature with
 * FNV-1a into one of `dimensions` buckets, with the top hash bit as a ±1 sign; L2-normalise.
 * A text with no words left embeds as a fixed unit vector (never a zero vector).
 *
 * @example
 * ```ts
 * const embedder = new HashEmbedder({ dimensions: 256 });
 * const [v] = await embedder.embed(["double billing on invoice 42"]);
 * ```
 */
export class HashEmbedder implements Embedder {
  /** `hash-ngram-v1-<dimensions>`, plus `-n<sizes>` when the n-gram sizes are not the default. */
  readonly id: string;
  /** Length of every vector. */
  readonly dimensions: number;
  readonly #ngrams: readonly number[];
  #empty: Float32Array | undefined;

  /** @throws {ValidationError} when `dimensions` or `ngrams` is out of range. */
  constructor(options: HashEmbedderOptions = {}) {
    const dimensions = options.dimensions ?? DEFAULT_DIMENSIONS;
    if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_DIMENSIONS) {
      throw new ValidationError({
        message: `HashEmbedder: dimensions must be an integer between 1 and ${MAX_DIMENSIONS}, got ${dimensions}`,
        details: { field: "dimensions", value: dimensions },
      });
    }
    const raw = options.ngrams ?? DEFAULT_NGRAMS;
    if (!Array.isArray(raw) || raw.some((n) => !Number.isInteger(n) || n < 1 || n > MAX_NGRAM)) {
      throw new ValidationError({
        message: `HashEmbedder: ngrams must be integers between 1 and ${MAX_NGRAM}`,
        details: { field: "ngrams", value: raw },
      });
    }
    const ngrams = [...new Set(raw)].sort((a, b) => a - b);
    this.dimensions = dimensions;
    this.#ngrams = ngrams;
    const isDefault = ngrams.join(",") === DEFAULT_NGRAMS.join(",");
    this.id = `hash-ngram-v1-${dimensions}${isDefault ? "" : `-n${ngrams.join(".") || "0"}`}`;
  }

  /** Embeds each text synchronously (the promise is for the {@link Embedder} contract). */
  async embed(texts: readonly string[], options: { signal?: AbortSignal } = {}): Promise<Float32Array[]> {
    options.signal?.throwIfAborted();
    return texts.map((text) => this.embedOne(text));
  }

  /** Embeds one text synchronously. */
  embedOne(text: string): Float32Array {
    const vector = new Float32Array(this.dimensions);
    let features = 0;
    for (const word of String(text).normalize("NFKC").toLowerCase().split(WORD_SPLIT)) {
      if (word === "" || STOP_WORDS.has(word)) continue;
      this.#add(vector, `w:${word}`, WORD_WEIGHT);
      features++;
      const padded = `<${word}>`;
      if (!SURROGATE.test(padded)) {
        // Fast path: one UTF-16 unit per character.
        for (const n of this.#ngrams) {
          for (let i = 0; i + n <= padded.length; i++)
            this.#add(vector, padded.slice(i, i + n), NGRAM_WEIGHT);
        }
      } else {
        const chars = Array.from(padded);
        for (const n of this.#ngrams) {
          for (let i = 0; i + n <= chars.length; i++) {
            this.#add(vector, chars.slice(i, i + n).join(""), NGRAM_WEIGHT);
          }
        }
      }
    }
    if (features === 0 || !hasSignal(vector)) return this.#emptyVector().slice();
    return normalize(vector);
  }

  /** Nothing to release; present for symmetry. */
  async close(): Promise<void> {}

  #add(vector: Float32Array, feature: string, weight: number): void {
    const h = fnv1a32(feature);
    const bucket = h % this.dimensions;
    vector[bucket] = vector[bucket]! + (h >>> 31 ? -weight : weight);
  }

  #emptyVector(): Float32Array {
    if (!this.#empty) {
      const v = new Float32Array(this.dimensions);
      this.#add(v, EMPTY_FEATURE, 1);
      this.#empty = normalize(v);
    }
    return this.#empty;
  }
}

/** True when some component is non-zero (features could, in theory, cancel out exactly). */
function hasSignal(vector: Float32Array): boolean {
  for (let i = 0; i < vector.length; i++) if (vector[i] !== 0) return true;
  return false;
}
