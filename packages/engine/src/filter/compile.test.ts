import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FilterError, LociError } from "../errors.js";
import { compileFilter, getPath, matchesFilter } from "./compile.js";
import { DEFAULT_FILTER_LIMITS, FIELD_OPERATORS } from "./index.js";

type Doc = Record<string, unknown>;
interface MatchCase {
  name: string;
  filter: unknown;
  doc: Doc;
  expected: boolean;
}

const DOC: Doc = {
  s: "hello",
  n: 5,
  f: 2.5,
  z: 0,
  t: true,
  nil: null,
  date: "2024-03-15T10:00:00Z",
  tags: ["vip", "beta", 3],
  nested: { a: { b: 1, c: [1, 2] }, d: null },
  objs: [{ k: 1 }, { k: 2, j: [3] }],
  empty: {},
  emptyArr: [],
};

const m = (name: string, filter: unknown, expected: boolean, doc: Doc = DOC): MatchCase => ({
  name,
  filter,
  doc,
  expected,
});

const matchCases: MatchCase[] = [
  // empty filter and bare equality
  m("empty filter matches everything", {}, true),
  m("empty filter matches empty doc", {}, true, {}),
  m("bare string equal", { s: "hello" }, true),
  m("bare string not equal", { s: "Hello" }, false),
  m("bare number equal", { n: 5 }, true),
  m("bare number vs string", { n: "5" }, false),
  m("bare boolean", { t: true }, true),
  m("bare boolean mismatch", { t: 1 }, false),
  m("bare null matches explicit null", { nil: null }, true),
  m("bare null does not match missing", { missing: null }, false),
  m("bare value on missing field", { missing: 1 }, false),
  m("bare array equal (order matters)", { tags: ["vip", "beta", 3] }, true),
  m("bare array wrong order", { tags: ["beta", "vip", 3] }, false),
  m("bare scalar does not match array element", { tags: "vip" }, false),
  m("bare object equal, any key order", { nested: { d: null, a: { c: [1, 2], b: 1 } } }, true),
  m("bare object is whole-object equality", { nested: { a: { b: 1, c: [1, 2] } } }, false),
  m("bare {} equals {}", { empty: {} }, true),
  m("bare {} does not equal non-empty object", { nested: {} }, false),
  m("bare {} does not equal []", { emptyArr: {} }, false),
  m("bare [] does not equal {}", { empty: [] }, false),
  m("0 equals -0", { z: -0 }, true),
  m("several entries are ANDed (all hold)", { s: "hello", n: 5 }, true),
  m("several entries are ANDed (one fails)", { s: "hello", n: 6 }, false),
  // nested dotted paths and array indexes
  m("dotted path", { "nested.a.b": 1 }, true),
  m("dotted path mismatch", { "nested.a.b": 2 }, false),
  m("dotted path through null", { "nested.d.x": { $exists: true } }, false),
  m("dotted path through scalar", { "s.length": { $exists: true } }, false),
  m("array index path", { "tags.0": "vip" }, true),
  m("array index path 2", { "tags.2": 3 }, true),
  m("array index out of range", { "tags.3": { $exists: true } }, false),
  m("array index into nested", { "nested.a.c.1": 2 }, true),
  m("object inside array", { "objs.1.k": 2 }, true),
  m("object inside array, deeper", { "objs.1.j.0": { $gte: 3 } }, true),
  m("non-canonical index does not index arrays", { "tags.00": { $exists: true } }, false),
  m("array length is not a path", { "tags.length": { $exists: true } }, false),
  m("numeric key on an object is a plain key", { "o.0": "x" }, true, { o: { "0": "x" } }),
  // $eq / $ne
  m("$eq string", { s: { $eq: "hello" } }, true),
  m("$eq mismatch", { s: { $eq: "bye" } }, false),
  m("$eq null on null", { nil: { $eq: null } }, true),
  m("$eq null on missing", { missing: { $eq: null } }, false),
  m("$eq on missing", { missing: { $eq: 1 } }, false),
  m("$eq deep object", { "objs.1": { $eq: { j: [3], k: 2 } } }, true),
  m("$eq deep array", { "nested.a.c": { $eq: [1, 2] } }, true),
  m("$eq array vs scalar", { tags: { $eq: "vip" } }, false),
  m("$eq operand with $-keys is a literal", { o: { $eq: { $gt: 1 } } }, true, { o: { $gt: 1 } }),
  m("$ne different", { s: { $ne: "bye" } }, true),
  m("$ne same", { s: { $ne: "hello" } }, false),
  m("$ne on missing matches", { missing: { $ne: 1 } }, true),
  m("$ne null on missing matches", { missing: { $ne: null } }, true),
  m("$ne null on null", { nil: { $ne: null } }, false),
  m("$ne type mismatch", { n: { $ne: "5" } }, true),
  // ranges
  m("$gt number true", { n: { $gt: 4 } }, true),
  m("$gt number equal", { n: { $gt: 5 } }, false),
  m("$gt string", { s: { $gt: "hell" } }, true),
  m("$gt type mismatch (string field, number operand)", { s: { $gt: 1 } }, false),
  m("$gt type mismatch (number field, string operand)", { n: { $gt: "1" } }, false),
  m("$gt missing", { missing: { $gt: -1000 } }, false),
  m("$gt null field", { nil: { $gt: -1000 } }, false),
  m("$gt boolean field", { t: { $gt: 0 } }, false),
  m("$gt array field", { tags: { $gt: "a" } }, false),
  m("$gte equal", { n: { $gte: 5 } }, true),
  m("$gte below", { n: { $gte: 5.5 } }, false),
  m("$gte ISO date", { date: { $gte: "2024-03-01" } }, true),
  m("$gte ISO date later", { date: { $gte: "2024-04-01" } }, false),
  m("$gte missing", { missing: { $gte: 0 } }, false),
  m("$lt true", { f: { $lt: 3 } }, true),
  m("$lt false", { f: { $lt: 2.5 } }, false),
  m("$lt string code units", { s: { $lt: "hellp" } }, true),
  m("$lt missing", { missing: { $lt: 1e9 } }, false),
  m("$lte equal", { f: { $lte: 2.5 } }, true),
  m("$lte above", { n: { $lte: 4 } }, false),
  m("$lte null field", { nil: { $lte: 0 } }, false),
  m("$lte missing", { missing: { $lte: "z" } }, false),
  m("range ANDed inside", { n: { $gte: 1, $lt: 6 } }, true),
  m("range ANDed, one fails", { n: { $gte: 1, $lt: 5 } }, false),
  // $in / $nin
  m("$in scalar", { s: { $in: ["a", "hello"] } }, true),
  m("$in scalar absent", { s: { $in: ["a", "b"] } }, false),
  m("$in empty list", { s: { $in: [] } }, false),
  m("$in no type coercion", { n: { $in: ["5"] } }, false),
  m("$in null matches null", { nil: { $in: [null] } }, true),
  m("$in null does not match missing", { missing: { $in: [null] } }, false),
  m("$in missing", { missing: { $in: [1, "a"] } }, false),
  m("$in array field, any element", { tags: { $in: ["x", "beta"] } }, true),
  m("$in array field, none", { tags: { $in: ["x", "y"] } }, false),
  m("$in array field, whole array", { "nested.a.c": { $in: [[1, 2]] } }, true),
  m("$in object element", { "objs.0": { $in: [{ k: 1 }] } }, true),
  m("$in array of objects field", { objs: { $in: [{ k: 1 }] } }, true),
  m("$in object element mismatch", { "objs.0": { $in: [{ k: 2 }] } }, false),
  m("$nin absent", { s: { $nin: ["a", "b"] } }, true),
  m("$nin present", { s: { $nin: ["hello"] } }, false),
  m("$nin empty list", { s: { $nin: [] } }, true),
  m("$nin missing matches", { missing: { $nin: [1] } }, true),
  m("$nin array field element present", { tags: { $nin: [3] } }, false),
  m("$nin array field none present", { tags: { $nin: [4] } }, true),
  // $exists
  m("$exists true present", { s: { $exists: true } }, true),
  m("$exists true null counts", { nil: { $exists: true } }, true),
  m("$exists true missing", { missing: { $exists: true } }, false),
  m("$exists false missing", { missing: { $exists: false } }, true),
  m("$exists false present", { n: { $exists: false } }, false),
  m("$exists nested", { "nested.a.b": { $exists: true } }, true),
  m("$exists nested missing", { "nested.a.x": { $exists: true } }, false),
  m("$exists array element", { "tags.1": { $exists: true } }, true),
  // $contains
  m("$contains array element", { tags: { $contains: "vip" } }, true),
  m("$contains array number", { tags: { $contains: 3 } }, true),
  m("$contains array absent", { tags: { $contains: "x" } }, false),
  m("$contains array no coercion", { tags: { $contains: "3" } }, false),
  m("$contains array of objects", { objs: { $contains: { k: 1 } } }, true),
  m("$contains array of objects mismatch", { objs: { $contains: { k: 3 } } }, false),
  m("$contains empty array", { emptyArr: { $contains: 1 } }, false),
  m("$contains substring", { s: { $contains: "ell" } }, true),
  m("$contains empty substring", { s: { $contains: "" } }, true),
  m("$contains not a substring", { s: { $contains: "xyz" } }, false),
  m("$contains number on string field", { s: { $contains: 1 } }, false),
  m("$contains on number field", { n: { $contains: 5 } }, false),
  m("$contains on object field", { nested: { $contains: "a" } }, false),
  m("$contains on null field", { nil: { $contains: null } }, false),
  m("$contains missing", { missing: { $contains: "a" } }, false),
  m("$contains null element", { a: { $contains: null } }, true, { a: [1, null] }),
  // $and / $or / $not
  m("$and all true", { $and: [{ s: "hello" }, { n: { $gt: 1 } }] }, true),
  m("$and one false", { $and: [{ s: "hello" }, { n: { $gt: 10 } }] }, false),
  m("$and with empty filter", { $and: [{}] }, true),
  m("$and on missing", { $and: [{ missing: 1 }] }, false),
  m("$or one true", { $or: [{ s: "bye" }, { n: 5 }] }, true),
  m("$or none true", { $or: [{ s: "bye" }, { n: 6 }] }, false),
  m("$or on missing", { $or: [{ missing: 1 }, { other: { $exists: true } }] }, false),
  m("$not of false", { $not: { s: "bye" } }, true),
  m("$not of true", { $not: { s: "hello" } }, false),
  m("$not of empty filter", { $not: {} }, false),
  m("$not of missing-field filter", { $not: { missing: 1 } }, true),
  m("logical ANDed with fields", { s: "hello", $or: [{ n: 1 }, { t: true }] }, true),
  m("logical ANDed with fields, field fails", { s: "bye", $or: [{ n: 1 }, { t: true }] }, false),
  m(
    "nested logic",
    { $or: [{ $and: [{ "nested.a.b": 1 }, { $not: { tags: { $contains: "x" } } }] }, { n: 0 }] },
    true,
  ),
  m("$not($or) is de Morgan", { $not: { $or: [{ n: 6 }, { s: "bye" }] } }, true),
  m("null-prototype metadata", { a: 1 }, true, Object.assign(Object.create(null) as Doc, { a: 1 })),
];

describe("compileFilter: matching", () => {
  it.each(matchCases)("$name", ({ filter, doc, expected }) => {
    expect(compileFilter(filter)(doc)).toBe(expected);
    expect(matchesFilter(filter, doc)).toBe(expected);
  });

  it("covers every field operator in the table", () => {
    const text = JSON.stringify(matchCases.map((c) => c.filter));
    for (const op of [...FIELD_OPERATORS, "$and", "$or", "$not"]) expect(text).toContain(`"${op}"`);
  });

  it("compiled predicate is independent of later mutation of the filter", () => {
    const operand = { k: 1 };
    const list = ["a"];
    const filter = { "objs.0": { $eq: operand }, s: { $nin: list } };
    const pred = compileFilter(filter);
    operand.k = 99;
    list.push("hello");
    expect(pred(DOC)).toBe(true);
  });
});

describe("getPath", () => {
  it.each<[unknown, string, unknown]>([
    [{ a: { b: 1 } }, "a.b", 1],
    [{ a: [10, 20] }, "a.1", 20],
    [{ a: [10, 20] }, "a.2", undefined],
    [{ a: [10, 20] }, "a.length", undefined],
    [{ a: 1 }, "a.b", undefined],
    [{ a: null }, "a.b", undefined],
    [{}, "constructor", undefined],
    [{}, "toString", undefined],
    [{}, "__proto__", undefined],
    [{ constructor: "c" }, "constructor", "c"],
    [JSON.parse('{"__proto__":{"x":1}}'), "__proto__.x", 1],
    [null, "a", undefined],
    ["str", "length", undefined],
  ])("getPath(%j, %s) = %j", (obj, path, expected) => {
    expect(getPath(obj, path)).toEqual(expected);
  });
});

function deepNot(depth: number): unknown {
  let f: unknown = { a: 1 };
  for (let i = 0; i < depth; i++) f = { $not: f };
  return f;
}

function deepAnd(depth: number): unknown {
  let f: unknown = { a: 1 };
  for (let i = 0; i < depth; i++) f = { $and: [f] };
  return f;
}

function deepValue(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { x: v };
  return v;
}

class Thing {
  x = 1;
}

const sparse: number[] = [];
sparse[0] = 1;
sparse[2] = 2;

const cyclic: Record<string, unknown> = {};
cyclic.$not = cyclic;

const invalidCases: [string, unknown][] = [
  ["unknown top-level $ key", { $foo: 1 }],
  ["field operator at filter level", { $eq: 1 }],
  ["$nor is not supported", { $nor: [{ a: 1 }] }],
  ["unknown field operator", { a: { $foo: 1 } }],
  ["logical operator as field operator", { a: { $and: [{ b: 1 }] } }],
  ["$gt with object", { a: { $gt: {} } }],
  ["$gt with null", { a: { $gt: null } }],
  ["$lte with boolean", { a: { $lte: true } }],
  ["$lt with array", { a: { $lt: [1] } }],
  ["$gte with NaN", { a: { $gte: Number.NaN } }],
  ["$gt with Infinity", { a: { $gt: Number.POSITIVE_INFINITY } }],
  ["$eq with NaN", { a: { $eq: Number.NaN } }],
  ["bare -Infinity", { a: Number.NEGATIVE_INFINITY }],
  ["NaN inside $in", { a: { $in: [1, Number.NaN] } }],
  ["NaN nested in object", { a: { b: { c: Number.NaN } } }],
  ["$in with number", { a: { $in: 3 } }],
  ["$in with object", { a: { $in: {} } }],
  ["$nin with string", { a: { $nin: "abc" } }],
  ["$exists with string", { a: { $exists: "yes" } }],
  ["$exists with number", { a: { $exists: 1 } }],
  ["$contains undefined", { a: { $contains: undefined } }],
  ["$eq undefined", { a: { $eq: undefined } }],
  ["bare undefined", { a: undefined }],
  ["function value", { a: () => 1 }],
  ["symbol value", { a: Symbol("s") }],
  ["bigint value", { a: 1n }],
  ["Date value", { a: new Date(0) }],
  ["class instance value", { a: new Thing() }],
  ["Map value", { a: { $eq: new Map() } }],
  ["sparse array value", { a: { $in: sparse } }],
  ["symbol key in filter", { [Symbol("k")]: 1 }],
  ["$and empty array", { $and: [] }],
  ["$or empty array", { $or: [] }],
  ["$and object", { $and: {} }],
  ["$or non-array", { $or: { a: 1 } }],
  ["$and with non-object element", { $and: [{ a: 1 }, 3] }],
  ["$and with null element", { $and: [null] }],
  ["$not array", { $not: [] }],
  ["$not null", { $not: null }],
  ["$not string", { $not: "a" }],
  ["mixing $ and plain keys", { a: { $gt: 1, b: 2 } }],
  ["mixing plain and $ keys", { a: { b: 2, $eq: 1 } }],
  ["null filter", null],
  ["undefined filter", undefined],
  ["array filter", [{ a: 1 }]],
  ["string filter", "a = 1"],
  ["number filter", 42],
  ["class instance filter", new Thing()],
  ["object-literal __proto__ setter (non-plain filter)", { __proto__: { $exists: true } }],
  ["empty path", { "": 1 }],
  ["empty middle segment", { "a..b": 1 }],
  ["leading dot", { ".a": 1 }],
  ["trailing dot", { "a.": 1 }],
  ["path too long", { ["a".repeat(513)]: 1 }],
  ["10,000-deep $not chain", deepNot(10_000)],
  ["9-deep $not chain (default maxDepth 8)", deepNot(8)],
  ["10,000-deep $and chain", deepAnd(10_000)],
  ["10,000-deep value", { a: deepValue(10_000) }],
  ["cyclic filter", cyclic],
  ["too many conditions", Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`k${i}`, i]))],
  ["too many operators in $and", { $and: Array.from({ length: 300 }, (_, i) => ({ a: i })) }],
  ["too many conditions nested", { $or: Array.from({ length: 200 }, () => ({ a: { $gt: 1, $lt: 3 } })) }],
  ["$in list too long", { a: { $in: Array.from({ length: 1025 }, (_, i) => i) } }],
  ["$nin list too long", { a: { $nin: Array.from({ length: 1025 }, (_, i) => i) } }],
];

describe("compileFilter: invalid filters", () => {
  it.each(invalidCases)("%s → INVALID_FILTER", (_name, filter) => {
    let caught: unknown;
    try {
      compileFilter(filter);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(FilterError);
    expect(LociError.isInstance(caught)).toBe(true);
    expect((caught as FilterError).code).toBe("INVALID_FILTER");
    expect((caught as FilterError).status).toBe(400);
    expect((caught as FilterError).message).toMatch(/^invalid filter at filter/);
  });

  it("names the bad path and operator in the message", () => {
    expect(() => compileFilter({ $or: [{ "x.y": { $gt: {} } }] })).toThrow(
      'invalid filter at filter.$or[0]["x.y"].$gt: expected a finite number or a string, got an object',
    );
    expect(() => compileFilter({ a: { $regex: "x" } })).toThrow(/\$regex.*expected one of \$eq/);
  });

  it("rejects a 10,000-deep chain with INVALID_FILTER, not a stack overflow", () => {
    expect(() => compileFilter(deepNot(10_000))).toThrow(FilterError);
  });

  it("validates eagerly, even parts that a document would short-circuit", () => {
    expect(() => compileFilter({ $or: [{}, { a: { $foo: 1 } }] })).toThrow(FilterError);
  });

  it("accepts filters exactly at the limits", () => {
    expect(compileFilter(deepNot(7))({ a: 1 })).toBe(false); // 7 × $not + field = depth 8
    const many = Object.fromEntries(Array.from({ length: 256 }, (_, i) => [`k${i}`, i]));
    expect(compileFilter(many)({})).toBe(false);
    const list = Array.from({ length: 1024 }, (_, i) => i);
    expect(compileFilter({ a: { $in: list } })({ a: 1023 })).toBe(true);
    expect(compileFilter({ a: deepValue(63) })({ a: deepValue(63) })).toBe(true);
  });

  it("honours custom limits", () => {
    expect(() => compileFilter({ $not: { a: 1 } }, { maxDepth: 1 })).toThrow(FilterError);
    expect(() => compileFilter({ a: 1, b: 2 }, { maxConditions: 1 })).toThrow(FilterError);
    expect(() => compileFilter({ a: { $in: [1, 2] } }, { maxListLength: 1 })).toThrow(FilterError);
    expect(compileFilter(deepNot(20), { maxDepth: 21 })({ a: 1 })).toBe(true);
    expect(DEFAULT_FILTER_LIMITS).toEqual({ maxDepth: 8, maxConditions: 256, maxListLength: 1024 });
  });

  it("rejects nonsensical limits with INVALID_ARGUMENT", () => {
    expect(() => compileFilter({}, { maxDepth: Number.NaN })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => compileFilter({}, { maxDepth: 100_000 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });
});

describe("compileFilter: prototype safety", () => {
  const protoKeysBefore = Object.getOwnPropertyNames(Object.prototype).sort();

  it.each<[string, unknown]>([
    ["constructor $exists", { constructor: { $exists: true } }],
    ["__proto__ $exists", JSON.parse('{"__proto__": {"$exists": true}}')],
    ["computed __proto__ $exists", { ["__proto__"]: { $exists: true } }],
    ["toString $exists", { toString: { $exists: true } }],
    ["hasOwnProperty $exists", { hasOwnProperty: { $exists: true } }],
    ["prototype $exists", { prototype: { $exists: true } }],
    ["constructor.name", { "constructor.name": "Object" }],
    ["toString $ne null", { toString: { $ne: null }, x: { $exists: true } }],
    ["__proto__.toString", { "__proto__.toString": { $exists: true } }],
  ])("empty metadata does not match %s", (_name, filter) => {
    expect(compileFilter(filter)({})).toBe(false);
  });

  it("$exists false on inherited names matches", () => {
    expect(compileFilter({ constructor: { $exists: false }, toString: { $exists: false } })({})).toBe(true);
  });

  it("own keys named like prototype members are ordinary data", () => {
    expect(compileFilter({ constructor: "c" })({ constructor: "c" })).toBe(true);
    expect(compileFilter({ constructor: { $exists: true } })({ constructor: "c" })).toBe(true);
    const doc = JSON.parse('{"__proto__": {"x": 1}}') as Doc;
    expect(compileFilter({ "__proto__.x": 1 })(doc)).toBe(true);
    expect(compileFilter(JSON.parse('{"__proto__": {"x": 1}}'))(doc)).toBe(true);
    expect(compileFilter({ a: JSON.parse('{"__proto__": {"x": 1}}') })({ a: doc })).toBe(true);
    expect(compileFilter({ a: { $in: [JSON.parse('{"__proto__": 1}')] } })({ a: { b: 1 } })).toBe(false);
  });

  it("never mutates Object.prototype", () => {
    const filters: unknown[] = [
      JSON.parse('{"__proto__": {"polluted": 1}}'),
      JSON.parse('{"__proto__.polluted": {"$ne": 1}}'),
      JSON.parse('{"a": {"$eq": {"__proto__": {"polluted": 1}}}}'),
      JSON.parse('{"a": {"$in": [{"__proto__": {"polluted": 1}}]}}'),
      JSON.parse('{"a": {"$contains": {"constructor": {"prototype": {"polluted": 1}}}}}'),
    ];
    const docs = [{}, JSON.parse('{"__proto__": {"polluted": 1}}'), { a: [{ constructor: 1 }] }];
    for (const f of filters) for (const d of docs) compileFilter(f)(d);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoKeysBefore);
    expect(({} as Doc).polluted).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// Property tests against an obviously-correct reference interpreter of the same semantics.
// ---------------------------------------------------------------------------------------------

function canon(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canon).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Doc;
    const keys = Object.keys(o).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canon(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

function refEq(a: unknown, b: unknown): boolean {
  return a !== undefined && canon(a) === canon(b);
}

function refGet(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const seg of path.split(".")) {
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(seg)) return undefined;
      cur = cur[Number(seg)];
    } else if (cur !== null && typeof cur === "object" && Object.hasOwn(cur, seg)) {
      cur = (cur as Doc)[seg];
    } else {
      return undefined;
    }
  }
  return cur;
}

function refIn(x: unknown, list: unknown[]): boolean {
  if (list.some((e) => refEq(x, e))) return true;
  return Array.isArray(x) && x.some((el) => list.some((e) => refEq(el, e)));
}

function refOp(op: string, x: unknown, operand: unknown): boolean {
  switch (op) {
    case "$eq":
      return refEq(x, operand);
    case "$ne":
      return !refEq(x, operand);
    case "$gt":
      return typeof x === typeof operand && (x as number) > (operand as number);
    case "$gte":
      return typeof x === typeof operand && (x as number) >= (operand as number);
    case "$lt":
      return typeof x === typeof operand && (x as number) < (operand as number);
    case "$lte":
      return typeof x === typeof operand && (x as number) <= (operand as number);
    case "$in":
      return refIn(x, operand as unknown[]);
    case "$nin":
      return !refIn(x, operand as unknown[]);
    case "$exists":
      return (x !== undefined) === operand;
    case "$contains":
      if (Array.isArray(x)) return x.some((el) => refEq(el, operand));
      return typeof x === "string" && typeof operand === "string" && x.includes(operand);
    default:
      throw new Error(`reference: unknown operator ${op}`);
  }
}

function refEval(filter: Doc, doc: Doc): boolean {
  return Object.entries(filter).every(([key, value]) => {
    if (key === "$and") return (value as Doc[]).every((f) => refEval(f, doc));
    if (key === "$or") return (value as Doc[]).some((f) => refEval(f, doc));
    if (key === "$not") return !refEval(value as Doc, doc);
    const x = refGet(doc, key);
    const isOps =
      value !== null &&
      typeof value === "object" &&
      !Array.isArray(value) &&
      Object.keys(value).length > 0 &&
      Object.keys(value).every((k) => k.startsWith("$"));
    if (!isOps) return refEq(x, value);
    return Object.entries(value as Doc).every(([op, operand]) => refOp(op, x, operand));
  });
}

const KEY = fc.constantFrom("a", "b", "c");
const NUM = fc.constantFrom(-1, 0, 1, 2, 2.5);
const STR = fc.constantFrom("", "a", "b", "ab", "ba", "2024-01-01");
const LEAF = fc.oneof(NUM, STR, fc.boolean(), fc.constant(null));
const { value: VALUE } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    LEAF,
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(KEY, tie("value"), { maxKeys: 3 }),
  ),
}));
const DOC_ARB = fc.dictionary(KEY, VALUE, { maxKeys: 3 }) as fc.Arbitrary<Doc>;

const PATH = fc.constantFrom("a", "b", "c", "a.b", "a.c", "b.a", "a.0", "b.1", "a.b.c", "c.0.a", "a.1.b");
const OP_ENTRY: fc.Arbitrary<[string, unknown]> = fc.oneof(
  fc.tuple(fc.constantFrom("$eq", "$ne", "$contains"), VALUE),
  fc.tuple(fc.constantFrom("$gt", "$gte", "$lt", "$lte"), fc.oneof(NUM, STR)),
  fc.tuple(fc.constantFrom("$in", "$nin"), fc.array(VALUE, { maxLength: 4 })),
  fc.tuple(fc.constant("$exists"), fc.boolean()),
);
const FIELD_COND = fc.oneof(
  VALUE,
  fc.array(OP_ENTRY, { minLength: 1, maxLength: 2 }).map((entries) => Object.fromEntries(entries)),
);
const FIELDS = fc.dictionary(PATH, FIELD_COND, { maxKeys: 2 }) as fc.Arbitrary<Doc>;

function filterArb(depth: number): fc.Arbitrary<Doc> {
  if (depth === 0) return FIELDS;
  const sub = filterArb(depth - 1);
  const logical = fc.oneof(
    fc.record({ $and: fc.array(sub, { minLength: 1, maxLength: 3 }) }),
    fc.record({ $or: fc.array(sub, { minLength: 1, maxLength: 3 }) }),
    fc.record({ $not: sub }),
  ) as fc.Arbitrary<Doc>;
  return fc.oneof(
    FIELDS,
    logical,
    fc.tuple(FIELDS, logical).map(([a, b]) => ({ ...a, ...b })),
  );
}
const FILTER = filterArb(3);

describe("compileFilter: properties", () => {
  it("agrees with the reference interpreter", () => {
    fc.assert(
      fc.property(FILTER, fc.array(DOC_ARB, { minLength: 1, maxLength: 5 }), (filter, docs) => {
        const pred = compileFilter(filter);
        for (const doc of docs) expect(pred(doc)).toBe(refEval(filter, doc));
      }),
      { numRuns: 1000 },
    );
  });

  it("agrees with the reference on single field conditions (dense coverage)", () => {
    fc.assert(
      fc.property(PATH, FIELD_COND, DOC_ARB, (path, cond, doc) => {
        const filter = { [path]: cond };
        expect(compileFilter(filter)(doc)).toBe(refEval(filter, doc));
      }),
      { numRuns: 2000 },
    );
  });

  it("{ $not: f } is the negation of f", () => {
    fc.assert(
      fc.property(FILTER, DOC_ARB, (filter, doc) => {
        expect(compileFilter({ $not: filter })(doc)).toBe(!compileFilter(filter)(doc));
      }),
      { numRuns: 500 },
    );
  });

  it("$nin is the negation of $in", () => {
    fc.assert(
      fc.property(PATH, fc.array(VALUE, { maxLength: 4 }), DOC_ARB, (path, list, doc) => {
        const isIn = compileFilter({ [path]: { $in: list } })(doc);
        expect(compileFilter({ [path]: { $nin: list } })(doc)).toBe(!isIn);
      }),
      { numRuns: 500 },
    );
  });

  it("$ne is the negation of $eq", () => {
    fc.assert(
      fc.property(PATH, VALUE, DOC_ARB, (path, v, doc) => {
        const eq = compileFilter({ [path]: { $eq: v } })(doc);
        expect(compileFilter({ [path]: { $ne: v } })(doc)).toBe(!eq);
        expect(compileFilter({ [path]: v })(doc)).toBe(eq);
      }),
      { numRuns: 500 },
    );
  });
});
