/**
 * HTTP transport of the client: JSON requests with a timeout, an AbortSignal, typed errors mapped
 * from the server's error codes (or from the status, for replies that are not the server's JSON),
 * and retries with jittered exponential backoff for 429/502/503/504 and network failures (a refused
 * connection, or a reply lost or stalled mid-body) — on safe (read-only) operations, and on writes
 * sent with an `Idempotency-Key` (the server applies a keyed write once however often it arrives),
 * so a write is never applied twice.
 *
 * @module
 */
import {
  ConflictError,
  EmbedderError,
  EmbeddingMismatchError,
  ERROR_CODES,
  type ErrorCode,
  FilterError,
  LociError,
  NotFoundError,
  StorageError,
  ValidationError,
} from "@loci/engine";
import { fieldFromWire, renameErrorField } from "./error-fields.js";
import { assertSendable } from "./json-check.js";

/** Options of {@link HttpTransport}. */
export interface HttpTransportOptions {
  baseUrl: string;
  apiKey?: string;
  /** @default 30000 */
  timeoutMs?: number;
  /** Retries of safe operations. @default 3 */
  retries?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** First backoff delay in ms (doubles each retry, with jitter). @default 200 */
  retryDelayMs?: number;
  /** Longest backoff delay in ms (a `Retry-After` hint may ask for more). @default 30000 */
  retryMaxDelayMs?: number;
}

/** One request. */
export interface HttpRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  signal?: AbortSignal | undefined;
  /** Read-only: may be retried. */
  safe: boolean;
  /**
   * Sent as the `Idempotency-Key` header; the request is then retried like a safe one, with the
   * same key, since the server applies it once.
   */
  idempotencyKey?: string;
}

/** A fresh `Idempotency-Key` for one logical write (a random UUID; Web Crypto, so browsers too). */
export function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

/** The code of an error reply without one (a reverse proxy's error page, a foreign server). */
function codeOfStatus(status: number): ErrorCode {
  const byStatus: Record<number, ErrorCode> = {
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    413: "PAYLOAD_TOO_LARGE",
    429: "RATE_LIMITED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "TIMEOUT",
  };
  return byStatus[status] ?? (status >= 500 ? "INTERNAL" : "INVALID_ARGUMENT");
}

/** Statuses retried (for safe and keyed requests): rate limits, and an unavailable server or gateway. */
const RETRIED = new Set([429, 502, 503, 504]);

/** The parsed JSON of a reply, or `undefined` when it is not JSON (`null` for an empty body). */
export function parseJson(text: string): unknown {
  if (text.length === 0) return null;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Builds the typed error for a server error code. */
export function errorFromWire(status: number, body: unknown): LociError {
  const err = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } })
    ?.error;
  const code = (err?.code && err.code in ERROR_CODES ? err.code : null) as ErrorCode | null;
  const named = renameErrorField(
    { message: err?.message ?? `HTTP ${status}`, details: err?.details },
    fieldFromWire,
  );
  const opts = { message: named.message, ...(named.details ? { details: named.details } : {}) };
  switch (code) {
    case "INVALID_ARGUMENT":
    case "INVALID_NAMESPACE":
    case "INVALID_CURSOR":
    case "PAYLOAD_TOO_LARGE":
      return new ValidationError({ ...opts, code });
    case "INVALID_FILTER":
      return new FilterError(opts);
    case "EMBEDDING_MISMATCH":
      return new EmbeddingMismatchError(opts);
    case "EMBEDDER_FAILED":
      return new EmbedderError(opts);
    case "STORAGE_ERROR":
    case "STORAGE_FULL":
    case "STORAGE_READ_ONLY":
      return new StorageError({ ...opts, code });
    case "ALREADY_EXISTS":
    case "SESSION_ENDED":
    case "CLOSED":
    case "DATA_DIR_LOCKED":
    case "QUOTA_EXCEEDED":
    case "IDEMPOTENCY_CONFLICT":
      return new ConflictError({ ...opts, code });
    case null:
      return new LociError({ ...opts, code: codeOfStatus(status) });
    default:
      if (code.endsWith("_NOT_FOUND") && code !== "NOT_FOUND") {
        return new NotFoundError({ ...opts, code: code as "NAMESPACE_NOT_FOUND" });
      }
      return new LociError({ ...opts, code });
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** JSON over HTTP with timeouts, retries and typed errors. */
export class HttpTransport {
  readonly baseUrl: string;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #fetch: typeof fetch;
  readonly #delay: number;
  readonly #maxDelay: number;

  constructor(opts: HttpTransportOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.#apiKey = opts.apiKey;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#retries = opts.retries ?? 3;
    this.#fetch = opts.fetch ?? globalThis.fetch;
    this.#delay = opts.retryDelayMs ?? 200;
    this.#maxDelay = opts.retryMaxDelayMs ?? 30_000;
  }

  /** Headers every request carries. */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.#apiKey ? { authorization: `Bearer ${this.#apiKey}` } : {}), ...extra };
  }

  url(path: string, query?: HttpRequest["query"]): string {
    const u = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  /**
   * Sends a request; resolves with the parsed JSON body (or null for 204).
   * @throws {ValidationError} before sending, for a body holding values JSON cannot carry (NaN, undefined in metadata…)
   * @throws {FilterError} before sending, for such a value in a filter
   */
  async request<T>(req: HttpRequest): Promise<{ status: number; body: T }> {
    assertSendable(req.body);
    const retriable = req.safe || req.idempotencyKey !== undefined;
    const extra: Record<string, string> = {
      ...(req.body === undefined ? {} : { "content-type": "application/json" }),
      ...(req.idempotencyKey === undefined ? {} : { "idempotency-key": req.idempotencyKey }),
    };
    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(this.#timeoutMs);
      const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
      let res: Response;
      let text: string;
      try {
        res = await this.#fetch(this.url(req.path, req.query), {
          method: req.method,
          headers: this.headers(extra),
          ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
          signal,
        });
        if (RETRIED.has(res.status) && retriable && attempt < this.#retries) {
          await res.body?.cancel();
          await this.#backoff(attempt, res.headers.get("retry-after"), req.signal);
          continue;
        }
        // Inside the try: a reply cut off or stalled mid-body is a lost reply like a refused connection.
        text = await res.text();
      } catch (err) {
        if (req.signal?.aborted) throw req.signal.reason;
        const timedOut = timeout.aborted;
        if (retriable && attempt < this.#retries) {
          await this.#backoff(attempt, null, req.signal);
          continue;
        }
        throw new LociError({
          code: timedOut ? "TIMEOUT" : "UNAVAILABLE",
          message: timedOut
            ? `${req.method} ${req.path} timed out after ${this.#timeoutMs} ms`
            : `cannot reach ${this.baseUrl}: ${(err as Error).message}`,
          cause: err,
        });
      }
      const body = parseJson(text);
      if (!res.ok) throw errorFromWire(res.status, body ?? null);
      if (body === undefined) {
        throw new LociError({
          code: "INTERNAL",
          message: `${req.method} ${req.path}: the reply (HTTP ${res.status}) is not JSON; is ${this.baseUrl} a Loci server?`,
        });
      }
      return { status: res.status, body: body as T };
    }
  }

  async #backoff(attempt: number, retryAfter: string | null, signal?: AbortSignal): Promise<void> {
    const hinted = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : 0;
    const base = Math.min(this.#maxDelay, this.#delay * 2 ** attempt);
    await sleep(Math.min(30_000, Math.max(hinted, base / 2 + Math.random() * base)), signal);
  }

  /** Raw fetch for streaming (SSE). */
  fetchRaw(url: string, init: RequestInit): Promise<Response> {
    return this.#fetch(url, init);
  }
}
