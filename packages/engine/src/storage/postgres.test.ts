/**
 * PostgresDriver: the shared conformance suites plus multi-process behaviour (concurrent writers,
 * notifications, tenant schemas, migrations) and search pushdown. Runs against `LOCI_TEST_PG_URL`
 * when set, otherwise against PGlite served by `startPgliteServer()` (one server for this file, a
 * fresh schema per test).
 */
import { createServer } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_NAMESPACE_CONFIG } from "../engine/convert.js";
import { LociError } from "../errors.js";
import { matchesFilter } from "../filter/compile.js";
import type { Filter } from "../filter/types.js";
import { type PgliteServer, startPgliteServer } from "../testing/pglite-server.js";
import { seededRandom } from "../util/random.js";
import { cosine } from "../util/vectors.js";
import { runStorageDriverSuite } from "./driver.case.js";
import type { NamespaceRecord, NewMemoryRecord } from "./driver.js";
import { PostgresDriver, type PostgresDriverOptions } from "./postgres.js";
import type { PostgresNamespaceStore } from "./postgres-namespace.js";
import { toStorageError } from "./postgres-tx.js";

let url = "";
let server: PgliteServer | null = null;
let admin: pg.Pool;
let counter = 0;
const drivers: PostgresDriver[] = [];

beforeAll(async () => {
  if (process.env.LOCI_TEST_PG_URL) url = process.env.LOCI_TEST_PG_URL;
  else {
    server = await startPgliteServer();
    url = server.url;
  }
  admin = new pg.Pool({ connectionString: url, max: 1 });
  admin.on("error", () => undefined); // idle connections dropped by the reconnect test
});

afterAll(async () => {
  await Promise.all(drivers.map((d) => d.close()));
  await admin?.end();
  await server?.stop();
});

const freshSchema = () => `loci_test_${process.pid}_${Date.now().toString(36)}_${++counter}`;
const dropSchema = async (schema: string) => {
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
};
const open = (schema: string, opts: Partial<PostgresDriverOptions> = {}) => {
  const d = new PostgresDriver({ connectionString: url, schema, maxConnections: 4, ...opts });
  drivers.push(d);
  return d;
};

const ns = (name: string): NamespaceRecord => ({
  name,
  description: "",
  config: { ...DEFAULT_NAMESPACE_CONFIG },
  createdAt: 1,
  updatedAt: 1,
});

let n = 0;
const mem = (over: Partial<NewMemoryRecord> = {}): NewMemoryRecord => {
  n++;
  return {
    id: `p-${n}`,
    content: `memory ${n}`,
    metadata: {},
    sessionId: null,
    agentId: null,
    importance: 0.5,
    createdAt: n,
    updatedAt: n,
    lastAccessedAt: n,
    accessCount: 0,
    expiresAt: null,
    embedding: Float32Array.from([1, n % 7, 0, 1]),
    ...over,
  };
};

async function eventually(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("PostgresDriver", () => {
  runStorageDriverSuite({
    setup: async () => {
      const schema = freshSchema();
      return { open: () => open(schema), cleanup: () => dropSchema(schema) };
    },
  });

  it("rejects schema names that are not plain identifiers", () => {
    for (const schema of ['a"; DROP SCHEMA public; --', "Upper", "1abc", "", "x".repeat(64)]) {
      expect(() => new PostgresDriver({ connectionString: url, schema })).toThrow(/invalid schema name/);
    }
  });

  it("migrates idempotently, also when two drivers start at once", async () => {
    const schema = freshSchema();
    const [a, b] = [open(schema), open(schema)];
    await Promise.all([a.listNamespaces(), b.listNamespaces(), a.createNamespace(ns("x"))]);
    const again = open(schema);
    expect((await again.listNamespaces()).map((r) => r.name)).toEqual(["x"]);
    const { rows } = await admin.query(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
    expect(rows.map((r) => r.version)).toEqual([1, 2, 3, 4]);
    await Promise.all([a.close(), b.close(), again.close()]);
    await dropSchema(schema);
  });

  it("upgrades a version-1 schema with memories to sentence vectors (migration 2)", async () => {
    const schema = freshSchema();
    const first = open(schema);
    await first.createNamespace(ns("x"));
    const before = await first.openNamespace("x");
    const { inserted } = await before.insert([mem({ id: "kept" })]);
    await first.close();
    // What a driver of schema version 1 left behind.
    await admin.query(`DROP TABLE "${schema}".sentence_vectors`);
    await admin.query(`DELETE FROM "${schema}".schema_migrations WHERE version = 2`);
    const upgraded = open(schema);
    const store = await upgraded.openNamespace("x");
    expect((await store.get(["kept"])).map((r) => r.id)).toEqual(["kept"]);
    await store.update("kept", { updatedAt: 9, sentenceEmbeddings: [Float32Array.from([0, 1, 0, 0])] });
    expect((await store.getSentenceEmbeddings([inserted[0]!.seq])).get(inserted[0]!.seq)).toEqual([
      Float32Array.from([0, 1, 0, 0]),
    ]);
    await upgraded.close();
    await dropSchema(schema);
  });

  it("upgrades a version-2 schema to the sentence backfill's progress column (migration 3)", async () => {
    const schema = freshSchema();
    const first = open(schema);
    await first.createNamespace(ns("x"));
    await first.close();
    // What a driver of schema version 2 left behind.
    await admin.query(`ALTER TABLE "${schema}".namespaces DROP COLUMN sentence_backfill`);
    await admin.query(`DELETE FROM "${schema}".schema_migrations WHERE version = 3`);
    const upgraded = open(schema);
    const store = await upgraded.openNamespace("x");
    expect(await store.sentenceBackfill()).toBeNull();
    await store.setSentenceBackfill({ after: 1, through: 2 });
    expect(await store.sentenceBackfill()).toEqual({ after: 1, through: 2 });
    await upgraded.close();
    await dropSchema(schema);
  });

  it("upgrades a version-3 schema with removals logged before to the removals index (migration 4)", async () => {
    const schema = freshSchema();
    const first = open(schema);
    await first.createNamespace(ns("x"));
    const before = await first.openNamespace("x");
    await before.insert([mem({ id: "gone" })]);
    await before.delete(["gone"], 7);
    await first.close();
    // What a driver of schema version 3 left behind.
    await admin.query(`DROP INDEX "${schema}".changes_removals`);
    await admin.query(`DELETE FROM "${schema}".schema_migrations WHERE version = 4`);
    const upgraded = open(schema);
    const store = await upgraded.openNamespace("x");
    expect(await store.removals(["gone"])).toEqual(new Map([["gone", { type: "memory.deleted", at: 7 }]]));
    const { rows } = await admin.query(
      `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND indexname = 'changes_removals'`,
      [schema],
    );
    expect(rows).toHaveLength(1);
    await upgraded.close();
    await dropSchema(schema);
  });

  it("keeps tenant schemas apart", async () => {
    const [sa, sb] = [freshSchema(), freshSchema()];
    const a = open(sa);
    const b = open(sb);
    await a.createNamespace(ns("shared-name"));
    await (await a.openNamespace("shared-name")).insert([mem()]);
    expect(await b.listNamespaces()).toEqual([]);
    expect(await b.getNamespace("shared-name")).toBeNull();
    await expect(b.openNamespace("shared-name")).rejects.toMatchObject({ code: "NAMESPACE_NOT_FOUND" });
    const seen: string[] = [];
    const unsubscribe = await b.subscribeChanges((name, g) => seen.push(`${name}@${g}`));
    await b.createNamespace(ns("shared-name"));
    const bStore = await b.openNamespace("shared-name");
    expect(await bStore.count()).toBe(0);
    await (await a.openNamespace("shared-name")).insert([mem()]);
    await bStore.insert([mem()]);
    await eventually(() => seen.includes("shared-name@1"));
    expect(seen).toEqual(["shared-name@0", "shared-name@1"]);
    expect(await (await a.openNamespace("shared-name")).count()).toBe(2);
    await unsubscribe();
    await Promise.all([a.close(), b.close()]);
    await Promise.all([dropSchema(sa), dropSchema(sb)]);
  });

  it("serialises concurrent writers of one namespace across driver instances", async () => {
    const schema = freshSchema();
    const [a, b] = [open(schema), open(schema)];
    await a.createNamespace(ns("c"));
    const [sa, sb] = [await a.openNamespace("c"), await b.openNamespace("c")];
    await sa.createSession({ id: "s", metadata: {}, createdAt: 1 });
    const writer = async (store: typeof sa, tag: string) => {
      const seqs: number[] = [];
      await Promise.all(
        Array.from({ length: 3 }, async (_, lane) => {
          for (let i = 0; i < 8; i++) {
            const { inserted } = await store.insert([
              mem({ id: `${tag}-${lane}-${i}-a`, sessionId: "s" }),
              mem({ id: `${tag}-${lane}-${i}-b` }),
            ]);
            expect(inserted[1]!.seq).toBe(inserted[0]!.seq + 1);
            seqs.push(...inserted.map((r) => r.seq));
          }
        }),
      );
      return seqs;
    };
    const [fromA, fromB] = await Promise.all([writer(sa, "a"), writer(sb, "b")]);
    const all = [...fromA, ...fromB];
    expect(new Set(all).size).toBe(96);
    const scanned = await sb.scan({ limit: 1_000 });
    expect(scanned.map((r) => r.seq)).toEqual([...all].sort((x, y) => x - y));
    const changes = await sa.changesSince(0);
    expect(changes.map((c) => c.generation)).toEqual(changes.map((_, i) => i + 1));
    const added = changes.filter((c) => c.type === "memory.added").map((c) => c.subjectSeq);
    expect(added).toEqual([...added].sort((x, y) => x - y));
    expect(await sa.count()).toBe(96);
    expect((await sb.getSession("s"))!.memoryCount).toBe(48);
    expect(await sb.generation()).toBe(changes.length);
    await Promise.all([a.close(), b.close()]);
    await dropSchema(schema);
  });

  it("notifies subscribers of writes made by another driver instance", async () => {
    const schema = freshSchema();
    const [a, b] = [open(schema), open(schema)];
    const seen: [string, number][] = [];
    const unsubscribe = await a.subscribeChanges((name, generation) => seen.push([name, generation]));
    await b.createNamespace(ns("n"));
    const store = await b.openNamespace("n");
    await store.insert([mem(), mem()]);
    await store.createSession({ id: "s", metadata: {}, createdAt: 1 });
    await eventually(() => seen.length >= 3);
    expect(seen).toEqual([
      ["n", 0],
      ["n", 2],
      ["n", 3],
    ]);
    await unsubscribe();
    await store.insert([mem()]);
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toHaveLength(3);
    await Promise.all([a.close(), b.close()]);
    await dropSchema(schema);
  });

  it("re-subscribes after the LISTEN connection drops and reports current generations", async () => {
    const schema = freshSchema();
    const [a, b] = [open(schema), open(schema)];
    await b.createNamespace(ns("r"));
    await (await b.openNamespace("r")).insert([mem()]);
    const seen: [string, number][] = [];
    const unsubscribe = await a.subscribeChanges((name, generation) => seen.push([name, generation]));
    if (server) server.disconnectAll();
    else {
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query ILIKE 'LISTEN%'",
      );
    }
    await eventually(() => seen.length > 0);
    expect(seen[0]).toEqual(["r", 1]);
    await (await b.openNamespace("r")).insert([mem()]);
    await eventually(() => seen.some(([, g]) => g === 2));
    await unsubscribe();
    await Promise.all([a.close(), b.close()]);
    await dropSchema(schema);
  });

  it("round-trips U+0000 and the escape character in content and metadata, and filters on them", async () => {
    const schema = freshSchema();
    const d = open(schema);
    await d.createNamespace(ns("z"));
    const store = (await d.openNamespace("z")) as PostgresNamespaceStore;
    const metadata = { "k\u0000ey": "v\u0000\uE000\uE001", plain: "\uE000\uE000" };
    const rec = mem({ content: "a\u0000b\uE000\uE001c", metadata });
    await store.insert([rec]);
    const [back] = await store.get([rec.id]);
    expect(back!.content).toBe(rec.content);
    expect(back!.metadata).toEqual(metadata);
    const hits = await store.vectorSearch({
      vector: rec.embedding,
      k: 5,
      now: 0,
      filter: { "k\u0000ey": "v\u0000\uE000\uE001", plain: { $contains: "\uE000" } },
    });
    expect(hits.map((h) => h.seq)).toEqual([back!.seq]);
    await d.close();
    await dropSchema(schema);
  });
});

/** Deterministic pseudo-random numbers. */
describe("PostgresDriver search pushdown", () => {
  const WORDS = ["billing", "refund", "invoice", "login", "password", "outage", "latency", "upgrade"];
  let schema: string;
  let exact: PostgresNamespaceStore;
  let ann: PostgresNamespaceStore;
  let mid: PostgresNamespaceStore;
  let fulltext: PostgresNamespaceStore;
  let records: NewMemoryRecord[];
  let seqOf: Map<string, number>;

  beforeAll(async () => {
    schema = freshSchema();
    const base = open(schema);
    await base.createNamespace(ns("s"));
    const store = await base.openNamespace("s");
    await store.createSession({ id: "sess", metadata: {}, createdAt: 1 });
    const rand = seededRandom(7);
    records = Array.from({ length: 400 }, (_, i) => {
      const words = Array.from(
        { length: 1 + Math.floor(rand() * 4) },
        () => WORDS[Math.floor(rand() * WORDS.length)]!,
      );
      return mem({
        id: `doc-${i}`,
        content: `ticket ${i}: ${words.join(" ")}`,
        metadata: { group: i % 40, tier: i % 3 === 0 ? "gold" : "basic", tags: i % 5 === 0 ? ["vip"] : [] },
        sessionId: i % 4 === 0 ? "sess" : null,
        expiresAt: i % 10 === 9 ? 500 : null,
        embedding: Float32Array.from({ length: 8 }, () => rand() * 2 - 1),
      });
    });
    const { inserted } = await store.insert(records);
    seqOf = new Map(inserted.map((r) => [r.id, r.seq]));
    exact = (await base.openNamespace("s")) as PostgresNamespaceStore;
    ann = (await open(schema, { exactSearchThreshold: 0, forceIndexScans: true }).openNamespace(
      "s",
    )) as PostgresNamespaceStore;
    mid = (await open(schema, { exactSearchThreshold: 30, forceIndexScans: true }).openNamespace(
      "s",
    )) as PostgresNamespaceStore;
    fulltext = (await open(schema, { keyword: "fulltext" }).openNamespace("s")) as PostgresNamespaceStore;
  });

  afterAll(async () => {
    await dropSchema(schema);
  });

  const bruteForce = (query: Float32Array, k: number, filter: Filter, now: number, sessionId?: string) =>
    records
      .filter((r) => (r.expiresAt === null || r.expiresAt > now) && (!sessionId || r.sessionId === sessionId))
      .filter((r) => matchesFilter(filter, r.metadata))
      .map((r) => ({ seq: seqOf.get(r.id)!, similarity: cosine(query, r.embedding) }))
      .sort((a, b) => b.similarity - a.similarity || a.seq - b.seq)
      .slice(0, k);

  it("returns the exact top-k for selective and broad filters, on both the exact and the HNSW path", async () => {
    const rand = seededRandom(99);
    const cases: { filter: Filter; sessionId?: string; now: number }[] = [
      { filter: {}, now: 0 },
      { filter: { tier: "gold" }, now: 1_000 },
      { filter: { group: 7 }, now: 0 },
      { filter: { group: { $in: [3, 4] }, tier: "gold" }, now: 0 },
      { filter: { tags: { $contains: "vip" } }, now: 1_000 },
      { filter: { tier: { $ne: "gold" } }, now: 1_000, sessionId: "sess" },
      { filter: { group: 39 }, now: 1_000 },
    ];
    for (const c of cases) {
      const query = Float32Array.from({ length: 8 }, () => rand() * 2 - 1);
      const expected = bruteForce(query, 10, c.filter, c.now, c.sessionId);
      for (const store of [exact, ann, mid]) {
        const got = await store.vectorSearch({ vector: query, k: 10, ...c });
        expect(got.map((h) => h.seq)).toEqual(expected.map((h) => h.seq));
        got.forEach((h, i) => {
          expect(h.similarity).toBeCloseTo(expected[i]!.similarity, 5);
        });
      }
    }
    expect(exact.searchStats).toMatchObject({ vectorExact: cases.length, vectorIndex: 0 });
    // Threshold 0: the HNSW path ran for every filter with a live match (one matches none, which counts
    // as selective); filters with fewer than k live matches fell back to the exact scan.
    expect(ann.searchStats.vectorExact).toBe(0);
    expect(ann.searchStats.vectorIndex + ann.searchStats.vectorSelective).toBe(cases.length);
    expect(ann.searchStats.vectorFallback).toBeGreaterThan(0);
    expect(ann.searchStats.vectorFallback).toBeLessThan(cases.length);
    // With a threshold of 30 rows, selective filters are answered exactly, broad ones by the index.
    expect(mid.searchStats.vectorSelective).toBeGreaterThan(0);
    expect(mid.searchStats.vectorIndex).toBeGreaterThan(0);
    expect(mid.searchStats.vectorSelective + mid.searchStats.vectorIndex).toBe(cases.length);
  });

  it("rejects a query vector of the wrong dimension", async () => {
    const err = await exact.vectorSearch({ vector: [1, 2, 3], k: 3, now: 0 }).catch((e: unknown) => e);
    expect(LociError.isInstance(err) && err.code).toBe("EMBEDDING_MISMATCH");
  });

  for (const mode of ["bm25", "bm25 index scan", "fulltext"] as const) {
    it(`keyword search (${mode}): matching rows only, best first, the true top-k under filters`, async (ctx) => {
      const store = mode === "bm25" ? exact : mode === "fulltext" ? fulltext : ann;
      if (mode !== "fulltext") {
        const { rows } = await admin.query("SELECT 1 FROM pg_extension WHERE extname = 'pg_textsearch'");
        if (rows.length === 0) ctx.skip();
      }
      const all = await store.keywordSearch({ query: "refund outage", k: 1_000 });
      const matching = records.filter((r) => /\b(refund|outage)\b/.test(r.content));
      expect(all.map((h) => h.seq).sort((a, b) => a - b)).toEqual(
        matching.map((r) => seqOf.get(r.id)!).sort((a, b) => a - b),
      );
      for (let i = 1; i < all.length; i++) expect(all[i]!.score).toBeLessThanOrEqual(all[i - 1]!.score);
      expect(all.every((h) => h.score > 0)).toBe(true);
      const bySeq = new Map(records.map((r) => [seqOf.get(r.id)!, r]));
      const filters = [{ group: 11 }, { tier: "gold", tags: { $contains: "vip" } }, { group: { $lt: 20 } }];
      for (const filter of filters) {
        for (const opts of [{}, { now: 1_000, sessionId: "sess" }] as {
          now?: number;
          sessionId?: string;
        }[]) {
          const expected = all
            .filter((h) => {
              const r = bySeq.get(h.seq)!;
              if (opts.now !== undefined && r.expiresAt !== null && r.expiresAt <= opts.now) return false;
              if (opts.sessionId && r.sessionId !== opts.sessionId) return false;
              return matchesFilter(filter, r.metadata);
            })
            .slice(0, 5);
          const got = await store.keywordSearch({ query: "refund outage", k: 5, filter, ...opts });
          // Equal scores may come in any order: compare the score sequence, and check every hit matches.
          expect(got).toHaveLength(expected.length);
          got.forEach((h, i) => {
            expect(h.score).toBeCloseTo(expected[i]!.score, 4);
          });
          const allowed = new Set(expected.map((h) => h.seq));
          const boundary = expected.at(-1)?.score ?? 0;
          for (const h of got) {
            const r = bySeq.get(h.seq)!;
            expect(allowed.has(h.seq) || Math.abs(h.score - boundary) < 1e-4).toBe(true);
            expect(matchesFilter(filter, r.metadata)).toBe(true);
          }
        }
      }
      if (mode === "bm25 index scan") {
        expect(store.searchStats.keywordIndex).toBeGreaterThan(0);
        expect(store.searchStats.keywordFallback).toBeGreaterThan(0);
      }
      if (mode === "fulltext") expect(store.searchStats.keywordIndex).toBe(0);
      expect(await store.keywordSearch({ query: "   ", k: 5 })).toEqual([]);
      expect(await store.keywordSearch({ query: "nothingmatches", k: 5 })).toEqual([]);
    });
  }
});

describe("PostgresDriver errors", () => {
  it("reports an unreachable database as UNAVAILABLE (503), not a 500", async () => {
    // A port nothing listens on: bind one, close it, use it.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, "127.0.0.1", () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const d = open(freshSchema(), { connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    const err = await d.listNamespaces().catch((e: unknown) => e);
    expect(LociError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({ code: "UNAVAILABLE" });
    expect((err as LociError).status).toBe(503);
  });

  it("maps disk-full and read-only server errors to typed storage errors", () => {
    const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });
    expect(toStorageError(pgError("53100"))).toMatchObject({ code: "STORAGE_FULL", status: 507 });
    expect(toStorageError(pgError("25006"))).toMatchObject({ code: "STORAGE_READ_ONLY", status: 503 });
    expect(toStorageError(pgError("57P01"))).toMatchObject({ code: "UNAVAILABLE", status: 503 });
    expect(toStorageError(pgError("22P02"))).toMatchObject({ code: "STORAGE_ERROR", status: 500 });
  });
});
