/**
 * An embedder for any OpenAI-compatible `POST /v1/embeddings` endpoint: OpenAI, Azure-style
 * gateways, Ollama, vLLM, LM Studio, llama.cpp server…
 *
 * @module
 */
import { EmbedderError, ValidationError } from "../errors.js";
import { type Embedder, normalize } from "./embedder.js";

/** Options of {@link OpenAICompatibleEmbedder}. */
export interface OpenAICompatibleEmbedderOptions {
  /** API root including the version, e.g. `"https://api.openai.com/v1"` or `"http://localhost:11434/v1"`. */
  baseUrl: string;
  /** Model name, e.g. `"text-embedding-3-small"` or `"nomic-embed-text"`. */
  model: string;
  /** Sent as `Authorization: Bearer <apiKey>`. Never appears in errors. */
  apiKey?: string;
  /** The expected vector length; every returned vector is checked against it. */
  dimensions: number;
  /** Also send `dimensions` in the request (for models that can shorten their output). @default false */
  sendDimensions?: boolean;
  /** Texts per request. @default 64 */
  batchSize?: number;
  /** Time limit of each HTTP attempt, in milliseconds. @default 30000 */
  timeoutMs?: number;
  /** Retries after a 429, a 5xx, a network error or a timeout. @default 3 */
  maxRetries?: number;
  /** First backoff delay in milliseconds; doubles per retry, with jitter. @default 500 */
  retryDelayMs?: number;
  /** The fetch implementation. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Extra request headers (e.g. `OpenAI-Organization`). */
  headers?: Record<string, string>;
}

/** Longest wait between attempts, including one asked for by `Retry-After`. */
const MAX_RETRY_DELAY_MS = 30_000;
/** Sent instead of `""`, which some providers reject. */
const EMPTY_PLACEHOLDER = " ";

/** An attempt that failed in a way worth retrying. */
class RetryableError extends Error {
  constructor(
    message: string,
    readonly extra: { retryAfterMs?: number; status?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: extra.cause });
  }
}

/** The validated options. */
type Config = Required<Omit<OpenAICompatibleEmbedderOptions, "baseUrl" | "dimensions" | "apiKey" | "fetch">> &
  Pick<OpenAICompatibleEmbedderOptions, "apiKey" | "fetch"> & { url: string; safeUrl: string };

/**
 * Embeds through an OpenAI-compatible HTTP API, in batches, with retries on 429/5xx/network errors
 * (jittered exponential backoff honouring `Retry-After`), a per-attempt timeout and caller aborts.
 * A caller's abort rejects with the signal's reason; every other failure is an {@link EmbedderError}.
 *
 * @example
 * ```ts
 * const embedder = new OpenAICompatibleEmbedder({
 *   baseUrl: "http://localhost:11434/v1", model: "nomic-embed-text", dimensions: 768,
 * });
 * ```
 */
export class OpenAICompatibleEmbedder implements Embedder {
  /** `openai:<model>@<dimensions>` (no URL, no key). */
  readonly id: string;
  /** The expected vector length. */
  readonly dimensions: number;
  readonly #cfg: Config;

  /** @throws {ValidationError} when an option is missing or out of range. */
  constructor(options: OpenAICompatibleEmbedderOptions) {
    const o = (options ?? {}) as Partial<OpenAICompatibleEmbedderOptions>;
    let url: URL;
    try {
      url = new URL(`${String(o.baseUrl).replace(/\/+$/, "")}/embeddings`);
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("not http(s)");
    } catch {
      throw invalid("baseUrl", "must be an http(s) URL such as https://api.openai.com/v1");
    }
    if (typeof o.model !== "string" || o.model.trim() === "")
      throw invalid("model", "must be a non-empty string");
    this.dimensions = integer("dimensions", o.dimensions, 1);
    this.id = `openai:${o.model}@${this.dimensions}`;
    const href = url.href;
    url.username = url.password = url.search = "";
    this.#cfg = {
      url: href,
      safeUrl: url.href,
      model: o.model,
      apiKey: typeof o.apiKey === "string" && o.apiKey !== "" ? o.apiKey : undefined,
      sendDimensions: o.sendDimensions === true,
      batchSize: integer("batchSize", o.batchSize ?? 64, 1),
      timeoutMs: integer("timeoutMs", o.timeoutMs ?? 30_000, 1),
      maxRetries: integer("maxRetries", o.maxRetries ?? 3, 0),
      retryDelayMs: integer("retryDelayMs", o.retryDelayMs ?? 500, 0),
      fetch: o.fetch,
      headers: { ...o.headers },
    };
  }

  /**
   * Embeds texts, `batchSize` per request, in order.
   * @throws {EmbedderError} on an HTTP error, a timeout, exhausted retries or a malformed response.
   */
  async embed(texts: readonly string[], options: { signal?: AbortSignal } = {}): Promise<Float32Array[]> {
    const { signal } = options;
    signal?.throwIfAborted();
    const out: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += this.#cfg.batchSize) {
      const batch = texts
        .slice(start, start + this.#cfg.batchSize)
        .map((t) => (t === "" ? EMPTY_PLACEHOLDER : t));
      out.push(...(await this.#embedBatch(batch, signal)));
    }
    return out;
  }

  async #embedBatch(input: string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#attempt(input, signal);
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        if (!(err instanceof RetryableError)) throw err;
        if (attempt >= this.#cfg.maxRetries) {
          const attempts = attempt + 1;
          const details = { status: err.extra.status, attempts };
          throw this.#error(`${err.message} (gave up after ${attempts} attempts)`, err.cause, details);
        }
        const backoff = Math.min(MAX_RETRY_DELAY_MS, this.#cfg.retryDelayMs * 2 ** attempt);
        const jittered = backoff / 2 + Math.random() * (backoff / 2);
        await sleep(Math.min(MAX_RETRY_DELAY_MS, err.extra.retryAfterMs ?? jittered), signal);
      }
    }
  }

  async #attempt(input: string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    const timeout = AbortSignal.timeout(this.#cfg.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const body: Record<string, unknown> = { model: this.#cfg.model, input };
    if (this.#cfg.sendDimensions) body.dimensions = this.dimensions;
    const headers = new Headers({ "content-type": "application/json", accept: "application/json" });
    for (const [name, value] of Object.entries(this.#cfg.headers)) headers.set(name, value);
    if (this.#cfg.apiKey) headers.set("authorization", `Bearer ${this.#cfg.apiKey}`);
    let response: Response;
    let text: string;
    try {
      const fetchFn = this.#cfg.fetch ?? globalThis.fetch;
      response = await fetchFn(this.#cfg.url, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal: combined,
      });
      text = await response.text();
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted)
        throw new RetryableError(`request timed out after ${this.#cfg.timeoutMs} ms`, { cause: err });
      throw new RetryableError(`network error: ${this.#redact(messageOf(err))}`, { cause: err });
    }
    if (!response.ok) {
      const detail = this.#redact(errorDetail(text));
      const message = `HTTP ${response.status}${detail ? `: ${detail}` : ""}`;
      if (response.status === 429 || response.status >= 500) {
        const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
        throw new RetryableError(message, { retryAfterMs, status: response.status });
      }
      throw this.#error(message, undefined, { status: response.status, attempts: 1 });
    }
    return this.#parse(text, input.length);
  }

  #parse(text: string, expected: number): Float32Array[] {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw this.#error("response is not JSON", err);
    }
    const data = (json as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) throw this.#error('response has no "data" array');
    if (data.length !== expected)
      throw this.#error(`response has ${data.length} embeddings for ${expected} inputs`);
    const items = data.map((item: unknown, position) => {
      const { index, embedding } = (item ?? {}) as { index?: unknown; embedding?: unknown };
      return { index: typeof index === "number" ? index : position, embedding };
    });
    items.sort((a, b) => a.index - b.index);
    return items.map(({ index, embedding }, i) => {
      if (index !== i) throw this.#error(`response indices are not 0..${expected - 1}`);
      if (!Array.isArray(embedding)) throw this.#error(`embedding ${i} is not an array of numbers`);
      if (embedding.length !== this.dimensions) {
        throw this.#error(`embedding ${i} has ${embedding.length} dimensions, expected ${this.dimensions}`);
      }
      const vector = new Float32Array(this.dimensions);
      for (let j = 0; j < embedding.length; j++) {
        const x: unknown = embedding[j];
        if (typeof x !== "number" || !Number.isFinite(x)) {
          throw this.#error(`embedding ${i} has a non-finite value at position ${j}`);
        }
        vector[j] = x;
      }
      return normalize(vector);
    });
  }

  #error(message: string, cause?: unknown, details: Record<string, unknown> = {}): EmbedderError {
    return new EmbedderError({
      message: `Embedding request to ${this.#cfg.safeUrl} (model ${this.#cfg.model}) failed: ${this.#redact(message)}`,
      cause,
      details: { model: this.#cfg.model, ...details },
    });
  }

  /** Removes the API key from text that came from elsewhere (a provider may echo it). */
  #redact(text: string): string {
    return this.#cfg.apiKey && this.#cfg.apiKey.length >= 4
      ? text.split(this.#cfg.apiKey).join("[redacted]")
      : text;
  }
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or invalid. */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds))
    return seconds >= 0 ? Math.min(seconds * 1000, MAX_RETRY_DELAY_MS) : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.min(Math.max(0, date - Date.now()), MAX_RETRY_DELAY_MS);
}

/** The provider's error message from an OpenAI-shaped error body, or the start of the body. */
function errorDetail(text: string): string {
  try {
    const json = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof json.error === "string" ? json.error : (json.error?.message ?? json.message);
    if (typeof message === "string") return message.slice(0, 500);
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return text.trim().slice(0, 200);
}

/** Waits `ms`, rejecting with the signal's reason if it aborts first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Checks an integer option. */
function integer(field: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw invalid(field, `must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/** A ValidationError about one option. */
function invalid(field: string, problem: string): ValidationError {
  return new ValidationError({
    message: `OpenAICompatibleEmbedder: ${field} ${problem}`,
    details: { field },
  });
}

/** An error's message, with its cause's (undici's "fetch failed" hides the reason there). */
function messageOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  return cause && cause !== err.message ? `${err.message} (${cause})` : err.message;
}
