/**
 * Values JSON cannot carry, caught before a request is sent. `JSON.stringify` silently drops
 * `undefined` properties and turns NaN, ±Infinity and `undefined` array items into `null`: sent as
 * they are, `{ customer_id: undefined }` would reach the server as the empty filter `{}`, which
 * matches everything, and `{ score: NaN }` would be stored as `{ score: null }`. The embedded engine
 * rejects such values, so the HTTP client does too, with the same codes and field names.
 *
 * @module
 */
import { FilterError, ValidationError } from "@loci/engine";
import { fieldFromWire } from "./error-fields.js";

/** Wire keys whose value is the caller's JSON object. */
const DATA_KEYS = new Set(["metadata", "properties"]);
/** Wire keys whose value is a metadata filter. */
const FILTER_KEYS = new Set(["metadata_filter", "filter"]);

type Kind = "wire" | "data" | "filter";

/** What is wrong, worded as the engine words it for metadata (`data`) and for filters. */
const PROBLEMS = {
  nonFinite: { data: "must be a finite number", filter: "expected a finite number" },
  undefined: { data: "must be a JSON value (got undefined)", filter: "expected a JSON value, got undefined" },
  notPlain: { data: "must be a plain JSON object", filter: "expected a JSON value, got a non-plain object" },
  notJson: { data: "must be a JSON value", filter: "expected a JSON value" },
} as const;

function fail(kind: Kind, path: string, problem: keyof typeof PROBLEMS | string): never {
  const text = problem in PROBLEMS ? PROBLEMS[problem as keyof typeof PROBLEMS] : null;
  if (kind === "filter") {
    const message = `invalid filter at ${path}: ${text?.filter ?? problem}`;
    throw new FilterError({ message, details: { path } });
  }
  const field = fieldFromWire(path);
  throw new ValidationError({ message: `${field} ${text?.data ?? problem}`, details: { field } });
}

function child(path: string, key: string, kind: Kind): string {
  if (kind !== "filter") return path === "" ? key : `${path}.${key}`;
  return key.startsWith("$") ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** The kind of the value under `key` of an object of kind `kind`. */
function kindOf(key: string, kind: Kind): Kind {
  if (kind !== "wire") return kind;
  return DATA_KEYS.has(key) ? "data" : FILTER_KEYS.has(key) ? "filter" : "wire";
}

function walk(value: unknown, path: string, kind: Kind): void {
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) fail(kind, path, "nonFinite");
  } else if (value === undefined) {
    // Inside the caller's JSON, where JSON.stringify would drop it silently.
    if (kind !== "wire") fail(kind, path, "undefined");
  } else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      if (item === undefined) fail(kind, `${path}[${i}]`, "undefined");
      walk(item, `${path}[${i}]`, kind);
    }
  } else if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      for (const [key, item] of Object.entries(value)) {
        if (item === undefined && kind === "wire") continue; // an optional field left out
        const next = kindOf(key, kind);
        // A filter's own paths start at `filter`, as the engine's do.
        walk(item, next === "filter" && kind === "wire" ? "filter" : child(path, key, kind), next);
      }
    } else if (kind !== "wire") {
      fail(kind, path, "notPlain");
    } else if (value instanceof Date && Number.isNaN(value.getTime())) {
      fail(kind, path, "must be a valid date (Date, ISO-8601 string or epoch milliseconds)");
    }
  } else if (kind !== "wire" || typeof value === "bigint") {
    fail(kind, path, "notJson");
  }
}

/**
 * Checks a request body (wire format) before it is serialized.
 *
 * @throws {ValidationError} INVALID_ARGUMENT naming the field (`metadata.score`, `memories[1].createdAt`)
 * @throws {FilterError} INVALID_FILTER naming the place in the filter (`filter["customer_id"]`)
 */
export function assertSendable(body: unknown): void {
  walk(body, "", "wire");
}
