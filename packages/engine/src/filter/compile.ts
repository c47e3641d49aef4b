/**
 * Compiles a metadata {@link Filter} into a fast predicate (SPEC §4).
 *
 * The whole filter is validated eagerly by {@link compileFilter}; anything malformed throws a
 * {@link FilterError} (`INVALID_FILTER`) naming the bad location, and no document is evaluated.
 * Evaluation runs closures built once, with no re-validation per document.
 *
 * Semantics:
 * - A filter is a plain object (prototype `Object.prototype` or `null`); `{}` matches everything and
 *   top-level entries are ANDed. At filter level, `$`-keys must be `$and` / `$or` (non-empty arrays of
 *   filters) or `$not` (one filter object); any other `$`-key is invalid.
 * - Other keys are dotted field paths: non-empty, ≤ 512 chars, no empty segments. Lookup
 *   ({@link getPath}) uses own properties only (`__proto__`, `constructor` … are plain data keys);
 *   a segment indexes an array only if it is a canonical non-negative integer (`"0"`, `"12"`, not
 *   `"01"` or `"length"`). Anything unresolvable is missing (`undefined`).
 * - A field value that is a non-empty plain object whose keys all start with `$` is an operator
 *   object (keys from `FIELD_OPERATORS`, ANDed); one mixing `$` and other keys is invalid; any other
 *   JSON value (including `{}` or an object without `$`-keys) means `$eq` with that value.
 * - Operands must be JSON values: no `undefined`, NaN/±Infinity, functions, symbols, bigints, Dates,
 *   class instances, symbol keys, sparse-array holes, nor nesting deeper than 64 levels. Operands
 *   are copied at compile time, so later mutation of the filter does not affect the predicate.
 * - `$eq`: deep JSON equality (object keys in any order, arrays in order, `0 === -0`; metadata keys
 *   holding `undefined` count as absent). No implicit array-element matching (use `$contains`).
 *   A missing field equals nothing, not even `null`. `$ne` is its exact negation.
 * - `$gt` `$gte` `$lt` `$lte`: operand is a finite number or a string; only a field of the same
 *   type can match (strings by UTF-16 code units, which orders ISO-8601 dates).
 * - `$in` list: the field deep-equals an element, or the field is an array one of whose elements
 *   deep-equals an element. `$nin` is its exact negation (a missing field matches `$nin`).
 * - `$exists` boolean: whether the path resolves to something other than `undefined` (null exists).
 * - `$contains`: array field → some element deep-equals the operand; string field → the operand is a
 *   string and a substring (`""` is in every string); otherwise false.
 * - Limits ({@link FilterLimits}): every `$and` / `$or` / `$not` and every field condition adds one
 *   nesting level (`{ a: 1 }` is depth 1, `{ $not: { a: 1 } }` depth 2); every field operator, bare
 *   equality and logical operator counts one condition; `$in` / `$nin` lists have at most
 *   `maxListLength` elements and `$and` / `$or` arrays at most `maxConditions`.
 *
 * @module
 */
import { FilterError, ValidationError } from "../errors.js";
import { DEFAULT_FILTER_LIMITS, FIELD_OPERATORS, type FilterLimits, type FilterPredicate } from "./types.js";

const MAX_PATH_LENGTH = 512;
const MAX_VALUE_DEPTH = 64;
const MAX_DEPTH_LIMIT = 1000;
const FIELD_OPS: ReadonlySet<string> = new Set(FIELD_OPERATORS);

type Test = (value: unknown) => boolean;
type Obj = Record<string, unknown>;
interface Ctx {
  readonly limits: FilterLimits;
  conditions: number;
}

function fail(where: string, message: string): never {
  throw new FilterError({ message: `invalid filter at ${where}: ${message}`, details: { path: where } });
}

function isPlainObject(v: unknown): v is Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function describe(v: unknown): string {
  if (v === null || Array.isArray(v)) return v === null ? "null" : "an array";
  if (typeof v === "number") return Number.isFinite(v) ? `the number ${v}` : `the non-finite number ${v}`;
  return typeof v !== "object" ? `a ${typeof v}` : isPlainObject(v) ? "an object" : "a non-plain object";
}

/** Own enumerable string keys; symbol keys are not JSON. */
function keysOf(obj: Obj, where: string): string[] {
  if (Object.getOwnPropertySymbols(obj).length > 0)
    fail(where, "expected only string keys, got a symbol key");
  return Object.keys(obj);
}

/** Validates a JSON value and returns a private copy (null-prototype objects, so `__proto__` stays data). */
function cloneJson(v: unknown, where: string, depth = 0): unknown {
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "object" && (Array.isArray(v) || isPlainObject(v))) {
    if (depth >= MAX_VALUE_DEPTH)
      fail(where, `expected a JSON value nested at most ${MAX_VALUE_DEPTH} levels`);
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      for (let i = 0; i < v.length; i++) out.push(cloneJson(v[i], `${where}[${i}]`, depth + 1));
      return out;
    }
    const out: Obj = Object.create(null);
    for (const k of keysOf(v, where)) out[k] = cloneJson(v[k], `${where}[${JSON.stringify(k)}]`, depth + 1);
    return out;
  }
  return fail(where, `expected a JSON value, got ${describe(v)}`);
}

/** A canonical array index (`"0"`, `"17"`), else -1. */
const ARRAY_INDEX = /^(?:0|[1-9][0-9]{0,14})$/;
function arrayIndex(seg: string): number {
  return ARRAY_INDEX.test(seg) ? Number(seg) : -1;
}

function step(cur: unknown, seg: string, index: number): unknown {
  if (typeof cur !== "object" || cur === null) return undefined;
  if (Array.isArray(cur)) return index >= 0 && index < cur.length ? cur[index] : undefined;
  return Object.hasOwn(cur, seg) ? (cur as Obj)[seg] : undefined;
}

/**
 * Reads a dotted path (`"ticket.severity"`, `"tags.0"`) from a value, following own properties only;
 * a numeric segment indexes into an array. Returns `undefined` when any step is missing.
 *
 * @example
 * ```ts
 * getPath({ a: { b: [10, 20] } }, "a.b.1"); // 20
 * getPath({}, "constructor"); // undefined
 * ```
 */
export function getPath(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const seg of path.split(".")) {
    cur = step(cur, seg, arrayIndex(seg));
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** A matcher for deep JSON equality with an already-validated (cloned) value. */
function equalsTest(expected: unknown): Test {
  if (expected === null || typeof expected !== "object") return (v) => v === expected;
  if (Array.isArray(expected)) {
    const items = expected.map(equalsTest);
    const n = items.length;
    return (v) => {
      if (!Array.isArray(v) || v.length !== n) return false;
      for (let i = 0; i < n; i++) if (!items[i]!(v[i])) return false;
      return true;
    };
  }
  const keys = Object.keys(expected);
  const tests = keys.map((k) => equalsTest((expected as Obj)[k]));
  return (v) => {
    if (!isPlainObject(v)) return false;
    let count = 0;
    for (const k of Object.keys(v)) if (v[k] !== undefined) count++;
    if (count !== keys.length) return false;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (!Object.hasOwn(v, k) || !tests[i]!(v[k])) return false;
    }
    return true;
  };
}

function inTest(list: readonly unknown[]): Test {
  const primitives = new Set<unknown>();
  const complex: Test[] = [];
  for (const e of list) {
    if (e === null || typeof e !== "object") primitives.add(e);
    else complex.push(equalsTest(e));
  }
  const one = (v: unknown): boolean => {
    if (v === null || typeof v !== "object") return primitives.has(v);
    for (const t of complex) if (t(v)) return true;
    return false;
  };
  return (v) => {
    if (one(v)) return true;
    if (Array.isArray(v)) for (const x of v) if (one(x)) return true;
    return false;
  };
}

function rangeTest(op: string, operand: unknown, where: string): Test {
  const type = typeof operand;
  if (!((type === "number" && Number.isFinite(operand)) || type === "string")) {
    fail(where, `expected a finite number or a string, got ${describe(operand)}`);
  }
  // Both sides are checked to share one type (number or string), so the casts only quiet the compiler.
  const x = operand as number;
  if (op === "$gt") return (v) => typeof v === type && (v as number) > x;
  if (op === "$gte") return (v) => typeof v === type && (v as number) >= x;
  if (op === "$lt") return (v) => typeof v === type && (v as number) < x;
  return (v) => typeof v === type && (v as number) <= x;
}

function listOperand(operand: unknown, where: string, ctx: Ctx): unknown[] {
  if (!Array.isArray(operand)) fail(where, `expected an array, got ${describe(operand)}`);
  const max = ctx.limits.maxListLength;
  if (operand.length > max) fail(where, `expected a list of at most ${max} values, got ${operand.length}`);
  return cloneJson(operand, where) as unknown[];
}

function containsTest(value: unknown): Test {
  const eq = equalsTest(value);
  const text = typeof value === "string" ? value : null;
  return (v) => {
    if (Array.isArray(v)) return v.some(eq);
    return typeof v === "string" && text !== null && v.includes(text);
  };
}

function operatorTest(op: string, operand: unknown, where: string, ctx: Ctx): Test {
  if (op === "$ne" || op === "$nin") {
    const positive = operatorTest(op === "$ne" ? "$eq" : "$in", operand, where, ctx);
    return (v) => !positive(v);
  }
  if (op === "$eq") return equalsTest(cloneJson(operand, where));
  if (op === "$in") return inTest(listOperand(operand, where, ctx));
  if (op === "$contains") return containsTest(cloneJson(operand, where));
  if (op === "$gt" || op === "$gte" || op === "$lt" || op === "$lte") return rangeTest(op, operand, where);
  if (op === "$exists") {
    if (typeof operand !== "boolean") fail(where, `expected a boolean, got ${describe(operand)}`);
    return operand ? (v) => v !== undefined : (v) => v === undefined;
  }
  return fail(
    where,
    `unknown field operator ${JSON.stringify(op)}; expected one of ${FIELD_OPERATORS.join(", ")}`,
  );
}

function count(ctx: Ctx, where: string): void {
  if (++ctx.conditions > ctx.limits.maxConditions) {
    fail(where, `expected at most ${ctx.limits.maxConditions} conditions in the whole filter`);
  }
}

function enter(depth: number, ctx: Ctx, where: string): number {
  if (depth + 1 > ctx.limits.maxDepth)
    fail(where, `expected nesting of at most ${ctx.limits.maxDepth} levels`);
  return depth + 1;
}

function allOf<T>(tests: ((x: T) => boolean)[]): (x: T) => boolean {
  const [a, b] = tests;
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return a!;
  if (tests.length === 2) return (x) => a!(x) && b!(x);
  return (x) => {
    for (const t of tests) if (!t(x)) return false;
    return true;
  };
}

function anyOf<T>(tests: ((x: T) => boolean)[]): (x: T) => boolean {
  return tests.length === 1 ? tests[0]! : (x) => tests.some((t) => t(x));
}

function compileField(path: string, value: unknown, where: string, depth: number, ctx: Ctx): FilterPredicate {
  if (path.length === 0) fail(where, "expected a non-empty field path");
  if (path.length > MAX_PATH_LENGTH)
    fail(where, `expected a field path of at most ${MAX_PATH_LENGTH} characters`);
  const segs = path.split(".");
  if (segs.some((s) => s === "")) fail(where, "expected a field path without empty segments");
  enter(depth, ctx, where);
  let test: Test;
  const keys = isPlainObject(value) ? keysOf(value, where) : [];
  const dollar = keys.filter((k) => k.startsWith("$")).length;
  if (dollar > 0) {
    if (dollar !== keys.length)
      fail(where, "expected an operator object (only $-keys) or a plain value, got both kinds");
    const ops = value as Obj;
    test = allOf(
      keys.map((op) => {
        count(ctx, `${where}.${op}`);
        return operatorTest(op, ops[op], `${where}.${op}`, ctx);
      }),
    );
  } else {
    count(ctx, where);
    test = equalsTest(cloneJson(value, where));
  }
  const indexes = segs.map(arrayIndex);
  if (segs.length === 1) {
    const k = segs[0]!;
    return (md) => test(step(md, k, indexes[0]!));
  }
  return (md) => {
    let cur: unknown = md;
    for (let i = 0; i < segs.length && cur !== undefined; i++) cur = step(cur, segs[i]!, indexes[i]!);
    return test(cur);
  };
}

function compileLogical(op: string, value: unknown, where: string, depth: number, ctx: Ctx): FilterPredicate {
  if (op !== "$and" && op !== "$or" && op !== "$not") {
    const hint = FIELD_OPS.has(op) ? ` (field operators go inside a field: { field: { ${op}: … } })` : "";
    fail(where, `unknown logical operator ${JSON.stringify(op)}; expected $and, $or or $not${hint}`);
  }
  const inner = enter(depth, ctx, where);
  count(ctx, where);
  if (op === "$not") {
    if (!isPlainObject(value)) fail(where, `expected one filter object, got ${describe(value)}`);
    const sub = compileNode(value, where, inner, ctx);
    return (md) => !sub(md);
  }
  if (!Array.isArray(value) || value.length === 0) {
    fail(
      where,
      `expected a non-empty array of filters, got ${describe(value)}${Array.isArray(value) ? " (empty)" : ""}`,
    );
  }
  if (value.length > ctx.limits.maxConditions) {
    fail(where, `expected at most ${ctx.limits.maxConditions} filters, got ${value.length}`);
  }
  const subs = value.map((f, i) => compileNode(f, `${where}[${i}]`, inner, ctx));
  return op === "$and" ? allOf(subs) : anyOf(subs);
}

function compileNode(filter: unknown, where: string, depth: number, ctx: Ctx): FilterPredicate {
  if (!isPlainObject(filter)) fail(where, `expected a filter object, got ${describe(filter)}`);
  const preds = keysOf(filter, where).map((key) =>
    key.startsWith("$")
      ? compileLogical(key, filter[key], `${where}.${key}`, depth, ctx)
      : compileField(key, filter[key], `${where}[${JSON.stringify(key)}]`, depth, ctx),
  );
  return allOf(preds);
}

function resolveLimits(limits: Partial<FilterLimits> | undefined): FilterLimits {
  const out: FilterLimits = {
    maxDepth: limits?.maxDepth ?? DEFAULT_FILTER_LIMITS.maxDepth,
    maxConditions: limits?.maxConditions ?? DEFAULT_FILTER_LIMITS.maxConditions,
    maxListLength: limits?.maxListLength ?? DEFAULT_FILTER_LIMITS.maxListLength,
  };
  for (const [field, v] of Object.entries(out)) {
    const max = field === "maxDepth" ? MAX_DEPTH_LIMIT : Number.MAX_SAFE_INTEGER;
    if (Number.isSafeInteger(v) && v >= 0 && v <= max) continue;
    throw new ValidationError({
      message: `filter limit ${field} must be an integer in 0..${max}`,
      details: { field },
    });
  }
  return out;
}

/**
 * Validates a filter eagerly and compiles it into a predicate over a metadata object.
 *
 * @param filter - The filter, as received (validated here; see the module docs for the language).
 * @param limits - Overrides of {@link DEFAULT_FILTER_LIMITS} (`maxDepth` at most 1000).
 * @throws {@link FilterError} (`INVALID_FILTER`) when the filter is malformed or crosses a limit;
 *   `ValidationError` (`INVALID_ARGUMENT`) when a limit itself is not a non-negative integer.
 *
 * @example
 * ```ts
 * const match = compileFilter({ "ticket.severity": { $gte: 3 }, tags: { $contains: "vip" } });
 * match({ ticket: { severity: 4 }, tags: ["vip"] }); // true
 * ```
 */
export function compileFilter(filter: unknown, limits?: Partial<FilterLimits>): FilterPredicate {
  const ctx: Ctx = { limits: resolveLimits(limits), conditions: 0 };
  return compileNode(filter, "filter", 0, ctx);
}

/**
 * Compiles `filter` with the default limits and evaluates it on one metadata object.
 * Prefer {@link compileFilter} when evaluating many documents.
 *
 * @throws {@link FilterError} (`INVALID_FILTER`) when the filter is malformed.
 */
export function matchesFilter(filter: unknown, metadata: Record<string, unknown>): boolean {
  return compileFilter(filter)(metadata);
}
