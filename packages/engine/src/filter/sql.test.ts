/**
 * compileFilterSql: the SQL compiled for a filter, evaluated by PostgreSQL (PGlite, or the server
 * named by `LOCI_TEST_PG_URL`), selects exactly the documents `matchesFilter` accepts.
 */
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LociError } from "../errors.js";
import { startPgliteServer } from "../testing/pglite-server.js";
import { compileFilter, matchesFilter } from "./compile.js";
import { compileFilterSql } from "./sql.js";

let client: pg.Client;
let stopServer: (() => Promise<void>) | null = null;
const table = `filter_docs_${process.pid}`;

beforeAll(async () => {
  let url = process.env.LOCI_TEST_PG_URL;
  if (!url) {
    const server = await startPgliteServer();
    url = server.url;
    stopServer = server.stop;
  }
  client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`CREATE TEMP TABLE ${table} (id integer PRIMARY KEY, doc jsonb NOT NULL)`);
});

afterAll(async () => {
  await client?.end();
  await stopServer?.();
});

/** Object with own keys only (`__proto__` stays a plain key). */
function obj(entries: [string, unknown][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries)
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

// Keys that exercise array indexing ("0", "1"), loose integers Postgres would index with ("01", "-1", " 1"),
// odd names and non-ASCII; strings without U+0000 and without U+E000–U+FFFF (see the module docs).
const KEYS = ["a", "b", "c", "0", "1", "01", "-1", " 1", "__proto__", "é"];
const key = fc.constantFrom(...KEYS);
const str = fc.oneof(
  fc.constantFrom("", "a", "b", "ab", "ba", "A", "a b", "10", "2", "é", "北京", "😀", "z😀"),
  fc.string({ unit: fc.constantFrom("a", "b", "B", " ", "é", "😀"), maxLength: 3 }),
);
const num = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(0.5, -0.5, 1.5, 10, 1e21, -1e-7),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    num,
    str,
    fc.array(tie("value"), { maxLength: 3 }),
    fc.array(fc.tuple(key, tie("value")), { maxLength: 3 }).map(obj),
  ),
}));
const doc = fc.array(fc.tuple(key, value), { maxLength: 5 }).map(obj);
const path = fc.array(key, { minLength: 1, maxLength: 3 }).map((segs) => segs.join("."));
const operatorEntry: fc.Arbitrary<[string, unknown]> = fc.oneof(
  fc.tuple(fc.constantFrom("$eq", "$ne", "$contains"), value),
  fc.tuple(fc.constantFrom("$gt", "$gte", "$lt", "$lte"), fc.oneof(num, str)),
  fc.tuple(fc.constantFrom("$in", "$nin"), fc.array(value, { maxLength: 4 })),
  fc.tuple(fc.constant("$exists"), fc.boolean()),
);
const condition = fc.oneof(
  value.filter(
    (v) => !(typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length > 0),
  ),
  fc.array(operatorEntry, { minLength: 1, maxLength: 2 }).map(obj),
);
/** Filters nested at most `depth` logical levels (within the default nesting limit of 8). */
function filterArb(depth: number): fc.Arbitrary<Record<string, unknown>> {
  const fields = fc.array(fc.tuple(path, condition), { maxLength: 3 });
  if (depth === 0) return fields.map(obj);
  const sub = filterArb(depth - 1);
  return fc
    .tuple(
      fields,
      fc.option(fc.tuple(fc.constantFrom("$and", "$or"), fc.array(sub, { minLength: 1, maxLength: 3 })), {
        freq: 2,
      }),
      fc.option(sub, { freq: 4 }),
    )
    .map(([entries, logical, not]) => {
      const all: [string, unknown][] = [...entries];
      if (logical) all.push(logical);
      if (not) all.push(["$not", not]);
      return obj(all);
    });
}
const filter = filterArb(3);

async function load(docs: Record<string, unknown>[]): Promise<void> {
  await client.query(`TRUNCATE ${table}`);
  await client.query(`INSERT INTO ${table} SELECT * FROM unnest($1::int[], $2::jsonb[])`, [
    docs.map((_, i) => i),
    docs.map((d) => JSON.stringify(d)),
  ]);
}

async function sqlMatches(f: unknown): Promise<number[]> {
  const params: unknown[] = [];
  const where = compileFilterSql(f, { column: "doc", params });
  const { rows } = await client.query<{ id: number }>(
    `SELECT id FROM ${table} WHERE ${where} ORDER BY id`,
    params,
  );
  return rows.map((r) => r.id);
}

const jsMatches = (f: unknown, docs: Record<string, unknown>[]) =>
  docs.flatMap((d, i) => (matchesFilter(f, d) ? [i] : []));

describe("compileFilterSql", () => {
  it("selects exactly the documents matchesFilter accepts (property)", async () => {
    const docs = fc.sample(doc, { numRuns: 300, seed: 42 });
    docs.push(
      {},
      { a: null },
      { a: [1, "a", null, [1], { b: 2 }] },
      { a: { "0": "x", "01": "y", "-1": "z", " 1": "w" } },
      { a: ["x", "y"] },
      obj([["__proto__", { a: 1 }]]),
      { a: "bab", b: 1e21, c: -0.5 },
    );
    await load(docs);
    await fc.assert(
      fc.asyncProperty(filter, async (f) => {
        expect(await sqlMatches(f)).toEqual(jsMatches(f, docs));
      }),
      { numRuns: 400, seed: 7 },
    );
  });

  it("agrees on hand-picked edge cases", async () => {
    const docs: Record<string, unknown>[] = [
      { tags: ["vip", "eu"], tier: "gold", n: 3, nested: { list: [10, 20] } },
      { tags: "vip-ish", tier: null, n: "3", nested: { list: { "0": 10, "01": 20 } } },
      { tags: [], n: 3.0, nested: { list: [[10]] } },
      {},
    ];
    await load(docs);
    const filters: unknown[] = [
      {},
      { tier: null },
      { tier: { $exists: true } },
      { tier: { $exists: false } },
      { tier: { $ne: "gold" } },
      { tier: { $nin: ["gold"] } },
      { tier: { $in: [null] } },
      { tags: "vip" },
      { tags: { $in: ["vip"] } },
      { tags: { $contains: "vip" } },
      { tags: { $contains: "" } },
      { tags: { $eq: ["vip", "eu"] } },
      { tags: { $eq: ["eu", "vip"] } },
      { n: { $gte: 3 } },
      { n: { $gt: "2" } },
      { n: 3, $or: [{ tier: "gold" }, { tags: [] }] },
      { $not: { n: 3 } },
      { "nested.list.0": 10 },
      { "nested.list.01": 20 },
      { "nested.list.1": { $lt: 100 } },
      { "nested.list": { $contains: [10] } },
      { "nested.list": { $in: [[10]] } },
    ];
    for (const f of filters) expect(await sqlMatches(f), JSON.stringify(f)).toEqual(jsMatches(f, docs));
  });

  it("binds every path segment and operand as a parameter, after the query's own", () => {
    const params: unknown[] = ["ns"];
    const evil = "a'); DROP TABLE x; --";
    const where = compileFilterSql(
      { [evil]: { $eq: evil, $contains: "x" } },
      { column: "m.metadata", params },
    );
    expect(where).not.toContain("DROP");
    expect(where).toContain("$2");
    expect(where).not.toContain("$1");
    expect(params.slice(1)).toContain(JSON.stringify(evil));
  });

  it("rejects invalid filters exactly like compileFilter", () => {
    for (const bad of [{ a: { $regex: "x" } }, { $nor: [] }, { a: { $gt: [] } }, [], { "": 1 }]) {
      let expected: unknown;
      try {
        compileFilter(bad);
      } catch (e) {
        expected = e;
      }
      let got: unknown;
      try {
        compileFilterSql(bad, { column: "doc", params: [] });
      } catch (e) {
        got = e;
      }
      expect(LociError.isInstance(got) && got.code).toBe("INVALID_FILTER");
      expect((got as Error).message).toBe((expected as Error).message);
    }
  });

  it("maps strings the way the driver stored them", async () => {
    const upper = (s: string) => s.toUpperCase();
    await load([{ NAME: "ALICE" }, { name: "alice" }]);
    const params: unknown[] = [];
    const where = compileFilterSql({ name: "alice" }, { column: "doc", params, mapString: upper });
    const { rows } = await client.query(`SELECT id FROM ${table} WHERE ${where}`, params);
    expect(rows.map((r) => r.id)).toEqual([0]);
  });
});
