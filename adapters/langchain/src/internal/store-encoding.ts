/**
 * Pure helpers of `LociStore`: the (namespace tuple, key) → memory id encoding, the metadata
 * layout, text extraction for `index` fields and LangGraph's filter semantics.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Metadata } from "@loci/engine";

/** Separator of the human-readable `lg_ns_path` (not used for matching). */
export const NS_PATH_SEPARATOR = "\u001f";

/**
 * The Loci memory id of a LangGraph item: `lg_` + hex SHA-256 of `JSON.stringify([namespace, key])`.
 *
 * JSON encodes every label as a quoted, escaped string inside an array, so the encoding is injective:
 * `["a","b.c"]` and `["a.b","c"]`, or `["a\u001fb"]` and `["a","b"]`, serialise differently, and
 * SHA-256 makes a collision between distinct encodings computationally infeasible.
 */
export function itemId(namespace: readonly string[], key: string): string {
  return `lg_${createHash("sha256")
    .update(JSON.stringify([namespace, key]))
    .digest("hex")}`;
}

/** The metadata key holding the JSON encoding of a namespace's first `depth` labels. */
export function prefixKey(depth: number): string {
  return `lg_p${depth}`;
}

/**
 * The namespace part of an item's metadata: the tuple, its JSON, a display path, its depth and one
 * `lg_p<d>` key per depth `d` holding `JSON.stringify(namespace.slice(0, d))` — so "is under prefix P"
 * is the exact-match filter `{ lg_p<|P|>: JSON.stringify(P) }`.
 */
export function namespaceMetadata(namespace: readonly string[]): Metadata {
  const meta: Metadata = {
    lg_ns: [...namespace],
    lg_ns_json: JSON.stringify(namespace),
    lg_ns_path: namespace.join(NS_PATH_SEPARATOR),
    lg_depth: namespace.length,
  };
  for (let d = 1; d <= namespace.length; d++) meta[prefixKey(d)] = JSON.stringify(namespace.slice(0, d));
  return meta;
}

/** Splits an index path like LangGraph's `tokenizePath`: `a.b[0].{c,d.e}` → `a`, `b`, `[0]`, `{c,d.e}`. */
function tokenize(path: string): string[] {
  const tokens: string[] = [];
  let cur = "";
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === "[" || c === "{") {
      if (cur) tokens.push(cur);
      cur = "";
      const close = c === "[" ? "]" : "}";
      let depth = 0;
      let j = i;
      for (; j < path.length; j++) {
        if (path[j] === c) depth++;
        else if (path[j] === close && --depth === 0) break;
      }
      tokens.push(path.slice(i, j + 1));
      i = j;
    } else if (c === ".") {
      if (cur) tokens.push(cur);
      cur = "";
    } else cur += c;
  }
  if (cur) tokens.push(cur);
  return tokens;
}

function leafText(v: unknown): string[] {
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return [String(v)];
  if (typeof v !== "object" || v === null) return [];
  return [JSON.stringify(v, null, 2)];
}

function extract(obj: unknown, tokens: readonly string[], pos: number): string[] {
  if (pos >= tokens.length) return leafText(obj);
  const t = tokens[pos]!;
  if (t.startsWith("[") && t.endsWith("]")) {
    if (!Array.isArray(obj)) return [];
    const inner = t.slice(1, -1);
    if (inner === "*") return obj.flatMap((x) => extract(x, tokens, pos + 1));
    let idx = Number.parseInt(inner, 10);
    if (Number.isNaN(idx)) return [];
    if (idx < 0) idx += obj.length;
    return idx >= 0 && idx < obj.length ? extract(obj[idx], tokens, pos + 1) : [];
  }
  if (t.startsWith("{") && t.endsWith("}")) {
    // Multi-field selection, as LangGraph reads it: each field is a dotted path; nothing after the braces.
    if (typeof obj !== "object" || obj === null) return [];
    return t
      .slice(1, -1)
      .split(",")
      .map((f) => f.trim())
      .filter((f) => f !== "")
      .flatMap((f) => extract(obj, tokenize(f), 0));
  }
  if (t === "*") {
    if (Array.isArray(obj)) return obj.flatMap((x) => extract(x, tokens, pos + 1));
    if (typeof obj === "object" && obj !== null)
      return Object.values(obj).flatMap((x) => extract(x, tokens, pos + 1));
    return [];
  }
  if (typeof obj === "object" && obj !== null && !Array.isArray(obj) && Object.hasOwn(obj, t))
    return extract((obj as Record<string, unknown>)[t], tokens, pos + 1);
  return [];
}

/**
 * The texts of `value` at LangGraph index paths: `"$"` (the whole value as pretty JSON, like
 * `InMemoryStore`), `a.b`, `list[0]`, `list[-1]`, `list[*].field`, `*`, `{a,b.c}` (several fields).
 */
export function textsAtPaths(value: Record<string, unknown>, paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (p === "$" || p === "") out.push(JSON.stringify(value, null, 2));
    else out.push(...extract(value, tokenize(p), 0));
  }
  return out;
}

const OPS = new Set(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin"]);

/** Whether a filter value is an operator object (`{ $gte: 3 }`), as LangGraph decides it. */
export function isOperatorObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && Object.keys(v).every((k) => OPS.has(k));
}

/** LangGraph's filter semantics for one top-level value field (strict equality, numeric ranges). */
export function matchesCondition(itemValue: unknown, cond: unknown): boolean {
  if (!isOperatorObject(cond)) return itemValue === cond;
  return Object.entries(cond).every(([op, v]) => {
    switch (op) {
      case "$eq":
        return itemValue === v;
      case "$ne":
        return itemValue !== v;
      case "$gt":
        return Number(itemValue) > Number(v);
      case "$gte":
        return Number(itemValue) >= Number(v);
      case "$lt":
        return Number(itemValue) < Number(v);
      case "$lte":
        return Number(itemValue) <= Number(v);
      case "$in":
        return Array.isArray(v) ? v.includes(itemValue) : false;
      case "$nin":
        return Array.isArray(v) ? !v.includes(itemValue) : true;
      default:
        return false;
    }
  });
}

/** Whether a value object passes a LangGraph filter (every top-level condition holds). */
export function matchesFilter(value: Record<string, unknown>, filter: Record<string, unknown> | undefined) {
  if (!filter) return true;
  return Object.entries(filter).every(([k, cond]) => matchesCondition(value[k], cond));
}

function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));
}

/**
 * The part of a LangGraph filter that Loci's metadata filter evaluates with the *same* result, as a
 * Loci filter on `value.<key>`: scalar equality (`{ k: "x" }`, `{ k: { $eq: "x" } }`) on keys
 * without `.` or a leading `$`. Everything else is evaluated afterwards with LangGraph's semantics.
 * Returns the Loci filter and whether the whole filter was pushed down.
 */
export function pushDownFilter(filter: Record<string, unknown> | undefined): {
  loci: Record<string, unknown>;
  complete: boolean;
} {
  const loci: Record<string, unknown> = {};
  let complete = true;
  for (const [k, cond] of Object.entries(filter ?? {})) {
    const safeKey = !k.includes(".") && !k.startsWith("$") && k !== "";
    const eq = isOperatorObject(cond) && Object.keys(cond).length === 1 && "$eq" in cond ? cond.$eq : cond;
    if (safeKey && isScalar(eq)) loci[`value.${k}`] = eq;
    else complete = false;
  }
  return { loci, complete };
}
