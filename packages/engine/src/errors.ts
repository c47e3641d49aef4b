/**
 * One error base class for the whole engine, with a table of codes.
 *
 * Every error the engine throws on purpose is a {@link LociError} with a `code` from
 * {@link ERROR_CODES}. Transports (the REST server) map codes to HTTP statuses at their edge;
 * the HTTP client maps them back, so `err.code` means the same thing in-process and remote.
 *
 * @module
 */

/** The code table. Each entry documents when the code is used and the HTTP status it maps to. */
export const ERROR_CODES = {
  /** A parameter is missing, malformed or out of range (400). */
  INVALID_ARGUMENT: { status: 400, description: "A parameter is missing, malformed or out of range." },
  /** A metadata filter uses an unknown operator or a malformed operand (400). */
  INVALID_FILTER: { status: 400, description: "A metadata filter is malformed or uses an unknown operator." },
  /** A namespace name breaks the naming rules (400). */
  INVALID_NAMESPACE: { status: 400, description: "A namespace name breaks the naming rules." },
  /** A vector has the wrong dimension, or the embedder differs from the namespace's recorded one (400). */
  EMBEDDING_MISMATCH: {
    status: 400,
    description: "A vector's dimension or the embedding model differs from what the namespace recorded.",
  },
  /** A request or batch is larger than allowed (413). */
  PAYLOAD_TOO_LARGE: { status: 413, description: "The request or batch is larger than allowed." },
  /** No namespace of that name (404). */
  NAMESPACE_NOT_FOUND: { status: 404, description: "No namespace of that name exists." },
  /** No memory with that id in the namespace (404). */
  MEMORY_NOT_FOUND: { status: 404, description: "No memory with that id exists in the namespace." },
  /** No session with that id in the namespace (404). */
  SESSION_NOT_FOUND: { status: 404, description: "No session with that id exists in the namespace." },
  /** No knowledge-graph entity of that type and name in the namespace (404). */
  ENTITY_NOT_FOUND: {
    status: 404,
    description: "No knowledge-graph entity of that type and name exists in the namespace.",
  },
  /** A session was ended and takes no more memories (409). */
  SESSION_ENDED: { status: 409, description: "The session has ended and accepts no more memories." },
  /** The resource already exists (409). */
  ALREADY_EXISTS: { status: 409, description: "A resource with that name or id already exists." },
  /**
   * A write with `refuseRemovedIds` named an id that was deleted, evicted or expired before; nothing
   * was written (409, `details.removed`).
   */
  MEMORY_REMOVED: {
    status: 409,
    description: "A memory with that id was removed before, and the write refuses removed ids.",
  },
  /** An `Idempotency-Key` was reused for a write with a different body (409). */
  IDEMPOTENCY_CONFLICT: {
    status: 409,
    description: "The idempotency key was already used for a different write.",
  },
  /** A cursor is malformed or belongs to another query (400). */
  INVALID_CURSOR: {
    status: 400,
    description: "The pagination cursor is malformed or belongs to another query.",
  },
  /** A quota (e.g. namespaces per tenant) would be exceeded (409). */
  QUOTA_EXCEEDED: { status: 409, description: "A quota would be exceeded." },
  /** Another live engine holds the data directory (409). */
  DATA_DIR_LOCKED: { status: 409, description: "Another running engine holds this data directory." },
  /** The client or engine was closed (409). */
  CLOSED: { status: 409, description: "The engine has been closed." },
  /** No or an invalid API key (401). */
  UNAUTHENTICATED: { status: 401, description: "A valid API key is required." },
  /** The API key's scopes do not allow this (403). */
  FORBIDDEN: { status: 403, description: "The API key is not allowed to do this." },
  /** No such route (404). */
  NOT_FOUND: { status: 404, description: "No such resource." },
  /** Too many requests for this key; retry after the `Retry-After` seconds (429). */
  RATE_LIMITED: { status: 429, description: "Too many requests; retry later." },
  /** The server is unreachable or shutting down (503). */
  UNAVAILABLE: { status: 503, description: "The service is unavailable." },
  /** The request took longer than its timeout (504). */
  TIMEOUT: { status: 504, description: "The request timed out." },
  /** An embedding provider failed (502). */
  EMBEDDER_FAILED: { status: 502, description: "The embedding provider failed." },
  /** Stored data could not be read back (500). */
  STORAGE_ERROR: { status: 500, description: "The storage layer failed." },
  /** The disk holding the data is full (SQLITE_FULL, ENOSPC); nothing was written (507). */
  STORAGE_FULL: {
    status: 507,
    description: "The storage is full; the write was not applied. Free space and retry.",
  },
  /**
   * The data directory or its filesystem is read-only (SQLITE_READONLY, EROFS, or a database that
   * cannot be opened because its directory refuses writes); nothing was written (503).
   */
  STORAGE_READ_ONLY: {
    status: 503,
    description: "The storage is read-only; the write was not applied. Retry when it is writable again.",
  },
  /** Not enough memory for background work (a graph rebuild); it is tried again later (503). */
  INSUFFICIENT_MEMORY: {
    status: 503,
    description: "Not enough memory for this work now; it is tried again later.",
  },
  /** Anything unexpected (500). */
  INTERNAL: { status: 500, description: "An unexpected internal error." },
} as const satisfies Record<string, { status: number; description: string }>;

/** A code from {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

const BRAND = Symbol.for("loci.error");

/** Options of {@link LociError}. */
export interface LociErrorOptions {
  code: ErrorCode;
  message?: string;
  cause?: unknown;
  /** Extra machine-readable details (the offending field, the expected value…). */
  details?: Record<string, unknown>;
}

/**
 * The base class of every error the engine throws on purpose.
 *
 * @example
 * ```ts
 * try { await client.memory.get({ namespace: "a", id: "x" }); }
 * catch (err) { if (LociError.isInstance(err) && err.code === "MEMORY_NOT_FOUND") … }
 * ```
 */
export class LociError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  readonly [BRAND] = true;

  constructor(opts: LociErrorOptions) {
    super(opts.message ?? ERROR_CODES[opts.code].description, { cause: opts.cause });
    this.name = new.target.name;
    this.code = opts.code;
    this.details = opts.details;
  }

  /** The HTTP status this error maps to. */
  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  /** True for any LociError, even one from another copy of the package. */
  static isInstance(err: unknown): err is LociError {
    return typeof err === "object" && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
  }

  /** A plain JSON shape, as the REST server sends it. */
  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

type SubclassOptions = Omit<LociErrorOptions, "code">;

/** Bad input: thrown with `INVALID_ARGUMENT`, `INVALID_NAMESPACE`, `INVALID_CURSOR` or `PAYLOAD_TOO_LARGE`. */
export class ValidationError extends LociError {
  constructor(
    opts: SubclassOptions & {
      code?: "INVALID_ARGUMENT" | "INVALID_NAMESPACE" | "INVALID_CURSOR" | "PAYLOAD_TOO_LARGE";
    },
  ) {
    super({ ...opts, code: opts.code ?? "INVALID_ARGUMENT" });
  }
}

/** A malformed metadata filter (`INVALID_FILTER`). */
export class FilterError extends LociError {
  constructor(opts: SubclassOptions) {
    super({ ...opts, code: "INVALID_FILTER" });
  }
}

/** A missing resource (`NAMESPACE_NOT_FOUND`, `MEMORY_NOT_FOUND`, `SESSION_NOT_FOUND`, `ENTITY_NOT_FOUND`). */
export class NotFoundError extends LociError {
  constructor(
    opts: SubclassOptions & {
      code: "NAMESPACE_NOT_FOUND" | "MEMORY_NOT_FOUND" | "SESSION_NOT_FOUND" | "ENTITY_NOT_FOUND";
    },
  ) {
    super(opts);
  }
}

/** A state conflict (`ALREADY_EXISTS`, `SESSION_ENDED`, `CLOSED`, `DATA_DIR_LOCKED`, `QUOTA_EXCEEDED`, `MEMORY_REMOVED`, `IDEMPOTENCY_CONFLICT`). */
export class ConflictError extends LociError {
  constructor(
    opts: SubclassOptions & {
      code:
        | "ALREADY_EXISTS"
        | "SESSION_ENDED"
        | "CLOSED"
        | "DATA_DIR_LOCKED"
        | "QUOTA_EXCEEDED"
        | "MEMORY_REMOVED"
        | "IDEMPOTENCY_CONFLICT";
    },
  ) {
    super(opts);
  }
}

/** A vector of the wrong dimension or a namespace written with another model (`EMBEDDING_MISMATCH`). */
export class EmbeddingMismatchError extends LociError {
  constructor(opts: SubclassOptions) {
    super({ ...opts, code: "EMBEDDING_MISMATCH" });
  }
}

/** An embedding provider failed (`EMBEDDER_FAILED`). */
export class EmbedderError extends LociError {
  constructor(opts: SubclassOptions) {
    super({ ...opts, code: "EMBEDDER_FAILED" });
  }
}

/** The storage layer failed (`STORAGE_ERROR`), is full (`STORAGE_FULL`) or read-only (`STORAGE_READ_ONLY`). */
export class StorageError extends LociError {
  constructor(opts: SubclassOptions & { code?: "STORAGE_ERROR" | "STORAGE_FULL" | "STORAGE_READ_ONLY" }) {
    super({ ...opts, code: opts.code ?? "STORAGE_ERROR" });
  }
}

const FULL_CODES = new Set(["SQLITE_FULL", "ENOSPC", "EDQUOT"]);
const READ_ONLY_CODES = new Set(["EROFS", "EACCES", "EPERM", "SQLITE_CANTOPEN"]);

/**
 * Recognises a full or read-only disk in an error thrown by SQLite or the filesystem (by its
 * `code`: `SQLITE_FULL`, `ENOSPC`, `EDQUOT`, `SQLITE_READONLY*`, `EROFS`, `EACCES`, `EPERM`, and
 * `SQLITE_CANTOPEN`, which is what SQLite answers for a WAL database in a directory it cannot write)
 * and returns the typed {@link StorageError} for it (`STORAGE_FULL` or `STORAGE_READ_ONLY`), else
 * `null`. A `STORAGE_ERROR` caused by one of these is converted too.
 */
export function storageFailure(err: unknown): StorageError | null {
  if (typeof err !== "object" || err === null) return null;
  if (LociError.isInstance(err)) {
    // A database the driver could not open because its directory refuses writes (WAL needs them).
    return err.code === "STORAGE_ERROR" && err.cause !== undefined ? storageFailure(err.cause) : null;
  }
  const code = String((err as { code?: unknown }).code ?? "");
  const detail = err instanceof Error ? err.message : code;
  if (FULL_CODES.has(code)) {
    return new StorageError({
      code: "STORAGE_FULL",
      message: `the disk holding the data is full; the write was not applied (${detail})`,
      cause: err,
      details: { reason: code },
    });
  }
  if (code.startsWith("SQLITE_READONLY") || READ_ONLY_CODES.has(code)) {
    return new StorageError({
      code: "STORAGE_READ_ONLY",
      message: `the data directory is read-only or cannot be written; nothing was written (${detail})`,
      cause: err,
      details: { reason: code },
    });
  }
  return null;
}

/**
 * Normalises anything thrown into a LociError: a full or read-only disk becomes its
 * {@link storageFailure} error, other unknown errors `INTERNAL` (kept as `cause`).
 */
export function toLociError(err: unknown): LociError {
  if (LociError.isInstance(err)) return err;
  const storage = storageFailure(err);
  if (storage) return storage;
  const message = err instanceof Error ? err.message : String(err);
  return new LociError({ code: "INTERNAL", message, cause: err });
}
