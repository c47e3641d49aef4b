/**
 * Input validation for the engine's public API. Every failure is a {@link ValidationError} (or
 * {@link EmbeddingMismatchError}) naming the field and what was expected; nothing invalid reaches storage.
 *
 * @module
 */
import { EmbeddingMismatchError, ValidationError } from "./errors.js";
import { DEFAULT_FILTER_LIMITS, type FilterLimits } from "./filter/types.js";
import type { JsonValue, Metadata, SearchMode, TimeInput } from "./types.js";

/** Configurable limits (`Loci.open({ limits })`); defaults from {@link LIMITS}. */
export interface Limits {
  /** Characters of one memory's content. @default 100000 */
  contentChars: number;
  /** Memories or edges per batch. @default 1000 */
  batchSize: number;
  /** Items per list page. @default 1000 */
  pageSize: number;
  /** Results per search. @default 1000 */
  searchLimit: number;
  /** Characters of a search query. @default 10000 */
  queryChars: number;
  /** Bytes of metadata (as JSON) per memory, session or edge. @default 65536 */
  metadataBytes: number;
  /** Metadata-filter bounds. */
  filter: FilterLimits;
}

/** Merges limit overrides over the defaults, checking each is a positive integer. */
export function resolveLimits(overrides: Partial<Limits> = {}): Limits {
  const out: Limits = {
    contentChars: LIMITS.contentChars,
    batchSize: LIMITS.batchSize,
    pageSize: LIMITS.pageSize,
    searchLimit: LIMITS.searchLimit,
    queryChars: LIMITS.queryChars,
    metadataBytes: LIMITS.metadataBytes,
    filter: { ...DEFAULT_FILTER_LIMITS, ...overrides.filter },
  };
  for (const key of [
    "contentChars",
    "batchSize",
    "pageSize",
    "searchLimit",
    "queryChars",
    "metadataBytes",
  ] as const) {
    const v = overrides[key];
    if (v === undefined) continue;
    out[key] = assertInteger(v, `limits.${key}`, 1, 100_000_000);
  }
  for (const [k, v] of Object.entries(out.filter)) assertInteger(v, `limits.filter.${k}`, 1, 100_000);
  return out;
}

/** Size limits applied to inputs. */
export const LIMITS = {
  contentChars: 100_000,
  idChars: 256,
  namespaceChars: 128,
  descriptionChars: 10_000,
  metadataBytes: 65_536,
  metadataDepth: 32,
  batchSize: 1_000,
  pageSize: 1_000,
  searchLimit: 1_000,
  queryChars: 10_000,
} as const;

const NAMESPACE_RE = /^[A-Za-z0-9-][A-Za-z0-9._-]*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

function fail(message: string, field: string): never {
  throw new ValidationError({ message, details: { field } });
}

/** Checks a namespace name: 1–128 chars of `[A-Za-z0-9._-]`, not starting with `.` or `_`. */
export function assertNamespaceName(name: unknown, field = "namespace"): string {
  if (typeof name !== "string" || name.length === 0 || name.length > LIMITS.namespaceChars) {
    throw new ValidationError({
      code: "INVALID_NAMESPACE",
      message: `${field} must be a string of 1-${LIMITS.namespaceChars} characters`,
      details: { field },
    });
  }
  if (!NAMESPACE_RE.test(name)) {
    throw new ValidationError({
      code: "INVALID_NAMESPACE",
      message: `${field} "${name.slice(0, 64)}" may only contain letters, digits, ".", "_" and "-", and may not start with "." or "_"`,
      details: { field },
    });
  }
  return name;
}

/** Checks an identifier (memory id, session id, agent id): 1–256 chars, no control characters. */
export function assertId(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0 || value.length > LIMITS.idChars) {
    fail(`${field} must be a string of 1-${LIMITS.idChars} characters`, field);
  }
  if (CONTROL_RE.test(value)) fail(`${field} must not contain control characters`, field);
  return value;
}

/** Checks memory content: a non-blank string of at most 100,000 characters. */
export function assertContent(
  content: unknown,
  field = "content",
  max: number = LIMITS.contentChars,
): string {
  if (typeof content !== "string") fail(`${field} must be a string`, field);
  if (content.trim().length === 0) fail(`${field} must not be empty`, field);
  if (content.length > max) {
    throw new ValidationError({
      code: "PAYLOAD_TOO_LARGE",
      message: `${field} has ${content.length} characters; the limit is ${max}`,
      details: { field },
    });
  }
  return content;
}

/** Checks a description (any string up to 10,000 characters). */
export function assertDescription(value: unknown): string {
  if (typeof value !== "string" || value.length > LIMITS.descriptionChars) {
    fail(`description must be a string of at most ${LIMITS.descriptionChars} characters`, "description");
  }
  return value;
}

function cloneJson(value: unknown, path: string, depth: number): JsonValue {
  if (depth > LIMITS.metadataDepth)
    fail(`${path} is nested deeper than ${LIMITS.metadataDepth} levels`, path);
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) fail(`${path} must be a finite number`, path);
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => cloneJson(v, `${path}[${i}]`, depth + 1));
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) fail(`${path} must be a plain JSON object`, path);
    const out: { [key: string]: JsonValue } = {};
    for (const key of Object.keys(value)) {
      // defineProperty keeps keys such as "__proto__" as plain data instead of touching the prototype.
      Object.defineProperty(out, key, {
        value: cloneJson((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return fail(`${path} must be a JSON value (got ${typeof value})`, path);
}

/** Validates metadata (a plain JSON object, ≤ 64 KiB) and returns a private deep copy. */
export function validateMetadata(
  value: unknown,
  field = "metadata",
  maxBytes: number = LIMITS.metadataBytes,
): Metadata {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(`${field} must be a JSON object`, field);
  }
  const copy = cloneJson(value, field, 0) as Metadata;
  const bytes = Buffer.byteLength(JSON.stringify(copy));
  if (bytes > maxBytes) {
    throw new ValidationError({
      code: "PAYLOAD_TOO_LARGE",
      message: `${field} is ${bytes} bytes as JSON; the limit is ${maxBytes}`,
      details: { field },
    });
  }
  return copy;
}

/** Checks importance: a finite number in [0, 1]. */
export function assertImportance(value: unknown, field = "importance"): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 1) {
    fail(`${field} must be a number between 0 and 1`, field);
  }
  return value;
}

/** Checks a number in [min, max]. */
export function assertNumberInRange(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    fail(`${field} must be a number between ${min} and ${max}`, field);
  }
  return value;
}

/** Checks a boolean. */
export function assertBoolean(value: unknown, field: string): boolean {
  if (typeof value !== "boolean") fail(`${field} must be a boolean`, field);
  return value;
}

/** Checks an integer in [min, max]. */
export function assertInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    fail(`${field} must be an integer between ${min} and ${max}`, field);
  }
  return value;
}

/** Converts a Date, ISO-8601 string or epoch-ms number to epoch ms. */
export function toEpochMs(value: TimeInput, field: string): number {
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === "number") ms = value;
  else if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}/.test(value)) ms = Date.parse(value);
  else ms = Number.NaN;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) {
    fail(`${field} must be a valid date (Date, ISO-8601 string or epoch milliseconds)`, field);
  }
  return Math.trunc(ms);
}

/** Checks a search mode. */
export function assertMode(value: unknown): SearchMode {
  if (value !== "hybrid" && value !== "vector" && value !== "keyword") {
    fail(`mode must be "hybrid", "vector" or "keyword"`, "mode");
  }
  return value;
}

/** Checks a precomputed vector against the expected dimension and returns it as a Float32Array. */
export function toVector(value: unknown, dimensions: number, field: string): Float32Array {
  if (!(Array.isArray(value) || value instanceof Float32Array)) {
    fail(`${field} must be an array of numbers`, field);
  }
  const arr = value as ArrayLike<unknown>;
  if (arr.length !== dimensions) {
    throw new EmbeddingMismatchError({
      message: `${field} has ${arr.length} dimensions; the namespace expects ${dimensions}`,
      details: { field, expected: dimensions, got: arr.length },
    });
  }
  const out = new Float32Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    const x = arr[i];
    if (typeof x !== "number" || !Number.isFinite(x)) fail(`${field}[${i}] must be a finite number`, field);
    out[i] = x;
    norm += x * x;
  }
  if (norm === 0) fail(`${field} must not be the zero vector`, field);
  return out;
}
