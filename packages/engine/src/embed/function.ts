/**
 * An embedder around a user function: bring any model or API without writing a class.
 *
 * @module
 */
import { EmbedderError, LociError, ValidationError } from "../errors.js";
import { type Embedder, normalize } from "./embedder.js";

/** Options of {@link FunctionEmbedder}. */
export interface FunctionEmbedderOptions {
  /** Stable identifier of the model and its output space (recorded per namespace). */
  id: string;
  /** Length of every vector the function returns. */
  dimensions: number;
  /** Embeds a batch of texts, returning one vector per text in the same order. */
  embed: (
    texts: string[],
    options: { signal?: AbortSignal },
  ) => Promise<number[][] | Float32Array[]> | number[][] | Float32Array[];
  /** L2-normalise the returned vectors. @default true */
  normalize?: boolean;
}

/**
 * Wraps a function as an {@link Embedder}, validating what it returns (count, dimension, finite
 * numbers) and L2-normalising it unless told not to.
 *
 * @example
 * ```ts
 * const embedder = new FunctionEmbedder({
 *   id: "my-model-v2",
 *   dimensions: 768,
 *   embed: async (texts) => (await myClient.embed(texts)).vectors,
 * });
 * ```
 */
export class FunctionEmbedder implements Embedder {
  /** The id given in the options. */
  readonly id: string;
  /** The dimensions given in the options. */
  readonly dimensions: number;
  readonly #fn: FunctionEmbedderOptions["embed"];
  readonly #normalize: boolean;

  /** @throws {ValidationError} on an empty id, non-positive or non-integer dimensions, or no function. */
  constructor(options: FunctionEmbedderOptions) {
    const opts = options as Partial<FunctionEmbedderOptions> | undefined;
    if (typeof opts?.id !== "string" || opts.id.trim() === "") {
      throw new ValidationError({
        message: "FunctionEmbedder: id must be a non-empty string",
        details: { field: "id" },
      });
    }
    if (typeof opts.dimensions !== "number" || !Number.isInteger(opts.dimensions) || opts.dimensions < 1) {
      throw new ValidationError({
        message: `FunctionEmbedder: dimensions must be a positive integer, got ${String(opts.dimensions)}`,
        details: { field: "dimensions", value: opts.dimensions },
      });
    }
    if (typeof opts.embed !== "function") {
      throw new ValidationError({
        message: "FunctionEmbedder: embed must be a function",
        details: { field: "embed" },
      });
    }
    if (opts.normalize !== undefined && typeof opts.normalize !== "boolean") {
      throw new ValidationError({
        message: "FunctionEmbedder: normalize must be a boolean",
        details: { field: "normalize" },
      });
    }
    this.id = opts.id;
    this.dimensions = opts.dimensions;
    this.#fn = opts.embed;
    this.#normalize = opts.normalize ?? true;
  }

  /**
   * Calls the function and validates its output.
   * @throws {EmbedderError} when the function throws or returns malformed vectors.
   */
  async embed(texts: readonly string[], options: { signal?: AbortSignal } = {}): Promise<Float32Array[]> {
    options.signal?.throwIfAborted();
    if (texts.length === 0) return [];
    let output: unknown;
    try {
      output = await this.#fn([...texts], options.signal ? { signal: options.signal } : {});
    } catch (err) {
      if (options.signal?.aborted && err === options.signal.reason) throw err;
      if (LociError.isInstance(err)) throw err;
      throw new EmbedderError({
        message: `Embedder "${this.id}" failed: ${err instanceof Error ? err.message : String(err)}`,
        cause: err,
      });
    }
    return this.#validate(output, texts.length);
  }

  #validate(output: unknown, expected: number): Float32Array[] {
    if (!Array.isArray(output)) {
      throw this.#invalid(
        `returned ${output === null ? "null" : typeof output}, expected an array of vectors`,
      );
    }
    if (output.length !== expected) {
      throw this.#invalid(`returned ${output.length} vectors for ${expected} texts`);
    }
    return output.map((raw: unknown, i) => {
      if (!(raw instanceof Float32Array) && !Array.isArray(raw)) {
        throw this.#invalid(`vector ${i} is not an array`);
      }
      if (raw.length !== this.dimensions) {
        throw this.#invalid(`vector ${i} has ${raw.length} dimensions, expected ${this.dimensions}`);
      }
      const vector = new Float32Array(this.dimensions);
      for (let j = 0; j < raw.length; j++) {
        const x: unknown = raw[j];
        if (typeof x !== "number" || !Number.isFinite(x)) {
          throw this.#invalid(`vector ${i} has a non-finite value at position ${j}`);
        }
        vector[j] = x;
      }
      return this.#normalize ? normalize(vector) : vector;
    });
  }

  #invalid(what: string): EmbedderError {
    return new EmbedderError({ message: `Embedder "${this.id}" ${what}`, details: { embedder: this.id } });
  }
}
