/**
 * `pnpm bench:postgres`: the engine on the PostgreSQL driver next to the embedded SQLite default, on
 * the same precomputed 512-d vectors and texts, in one run; plus the driver's search pushdown
 * (pgvector HNSW, pg_textsearch BM25, Postgres full text) measured directly, with recall@10 against
 * exact brute force. Uses `LOCI_TEST_PG_URL` when set, else PGlite (PostgreSQL in WASM) on 127.0.0.1.
 *
 * Env: BENCH_SIZES (default "10000,100000"), BENCH_QUERIES (default 100).
 * Writes `test/bench/results/postgres.json` and `postgres.svg`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  FunctionEmbedder,
  Loci,
  type LociOptions,
  PostgresDriver,
  type PostgresNamespaceStore,
} from "@loci/engine";
import { type PgliteServer, startPgliteServer } from "@loci/engine/testing";
import { type Corpus, makeCorpus, percentile } from "./data.js";
import { barChart } from "./svg.js";

const SIZES = (process.env.BENCH_SIZES ?? "10000,100000").split(",").map(Number);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 100);
const DIMS = 512;
const BATCH = 1000;
const NS = "bench";

interface Row {
  size: number;
  system: string;
  op: string;
  p50: number | null;
  p99: number | null;
  /** ops/s for ingest, recall@10 for searches that have one, seconds for reopen. */
  value: number | null;
  unit: string;
}
const rows: Row[] = [];

/** The corpus's vectors served by text, so every system gets exactly the same vectors. */
function lookupEmbedder(c: Corpus): FunctionEmbedder {
  const byText = new Map<string, Float32Array>();
  for (let i = 0; i < c.texts.length; i++) byText.set(c.texts[i]!, c.vectors[i]!);
  for (const q of c.queries) byText.set(q.text, q.vector);
  return new FunctionEmbedder({
    id: "bench-precomputed",
    dimensions: DIMS,
    normalize: false,
    embed: (texts) => texts.map((t) => byText.get(t) ?? new Float32Array(DIMS).fill(1 / Math.sqrt(DIMS))),
  });
}

const textIndex = new WeakMap<Corpus, Map<string, number>>();
/** The corpus position of each text (built once per corpus). */
function indexOfText(c: Corpus): Map<string, number> {
  let m = textIndex.get(c);
  if (!m) {
    m = new Map(c.texts.map((t, i) => [t, i]));
    textIndex.set(c, m);
  }
  return m;
}

/** Exact top-10 by cosine (the vectors are unit length). */
function exactTop10(c: Corpus, q: Float32Array, matches: (i: number) => boolean = () => true): number[] {
  const best: [number, number][] = [];
  for (let i = 0; i < c.vectors.length; i++) {
    if (!matches(i)) continue;
    const v = c.vectors[i]!;
    let dot = 0;
    for (let d = 0; d < DIMS; d++) dot += v[d]! * q[d]!;
    if (best.length < 10 || dot > best[best.length - 1]![0]) {
      best.push([dot, i]);
      best.sort((a, b) => b[0] - a[0]);
      if (best.length > 10) best.pop();
    }
  }
  return best.map(([, i]) => i);
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const out = await fn();
  return [performance.now() - t, out];
}

/** Times `QUERIES` calls (after 5 warm-up calls); results are kept for scoring outside the timing. */
async function measure<T>(fn: (i: number) => Promise<T>): Promise<{ lat: number[]; results: T[] }> {
  for (let i = 0; i < 5; i++) await fn(i);
  const lat: number[] = [];
  const results: T[] = [];
  for (let i = 0; i < QUERIES; i++) {
    const [ms, r] = await timed(() => fn(i));
    lat.push(ms);
    results.push(r);
  }
  return { lat, results };
}

const truthCache = new WeakMap<Corpus, Map<string, Set<number>>>();
/** The exact top-10 (corpus positions) of query `qi`, unfiltered or with the 1% filter; computed once. */
function truth(c: Corpus, qi: number, filtered: boolean): Set<number> {
  let byQuery = truthCache.get(c);
  if (!byQuery) {
    byQuery = new Map();
    truthCache.set(c, byQuery);
  }
  const key = `${qi}:${filtered}`;
  let t = byQuery.get(key);
  if (!t) {
    t = new Set(exactTop10(c, c.queries[qi]!.vector, filtered ? (d) => d % 100 === 7 : undefined));
    byQuery.set(key, t);
  }
  return t;
}

/** Mean share of each query's exact top-10 found in its results. */
function recallAt10(c: Corpus, found: number[][], filtered: boolean): number {
  let sum = 0;
  found.forEach((positions, i) => {
    const t = truth(c, i % c.queries.length, filtered);
    sum += positions.filter((p) => t.has(p)).length / Math.max(1, Math.min(10, t.size));
  });
  return sum / found.length;
}

function record(
  size: number,
  system: string,
  op: string,
  lat: number[] | null,
  value: number | null,
  unit = "",
) {
  rows.push({
    size,
    system,
    op,
    p50: lat ? percentile(lat, 50) : null,
    p99: lat ? percentile(lat, 99) : null,
    value,
    unit,
  });
}

/** How an engine is reopened after the searches, and the row that times it. */
interface Reopen {
  op: string;
  open: () => Promise<Loci>;
}

/**
 * Ingests, searches and reopens one engine (with `open`, or each of `reopens` in turn, timing open,
 * first search and the graph holding everything).
 */
async function benchEngine(
  size: number,
  system: string,
  c: Corpus,
  open: () => Promise<Loci>,
  reopens: Reopen[] = [{ op: "reopen, first search, graph ready", open }],
): Promise<void> {
  let loci = await open();
  await loci.namespace.create({ name: NS });
  const [ingestMs] = await timed(async () => {
    for (let i = 0; i < c.texts.length; i += BATCH) {
      await loci.memory.addMany({
        namespace: NS,
        memories: c.texts
          .slice(i, i + BATCH)
          .map((content, j) => ({ content, metadata: { bucket: (i + j) % 100 } })),
      });
    }
  });
  record(size, system, "durable ingest (batches of 1,000)", null, (size / ingestMs) * 1000, "memories/s");
  // HNSW insertion runs in the background: searches right after a bulk ingest brute-force the backlog.
  const [indexMs] = await timed(() => loci.whenIndexed());
  record(size, system, "ANN graph caught up after ingest", null, indexMs / 1000, "s");
  const ids = new Map<string, number>();
  for (let cursor: string | null = null; ; ) {
    const page = await loci.memory.list({ namespace: NS, limit: 1000, ...(cursor ? { cursor } : {}) });
    for (const m of page.items) ids.set(m.id, indexOfText(c).get(m.content)!);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  for (const [op, mode, filter] of [
    ["vector top-10", "vector", undefined],
    ["hybrid top-10", "hybrid", undefined],
    ["vector top-10, 1% filter", "vector", { bucket: 7 }],
  ] as const) {
    const { lat, results } = await measure(async (i) => {
      const hits = await loci.memory.search({
        namespace: NS,
        query: c.queries[i % c.queries.length]!.text,
        limit: 10,
        mode,
        ...(filter ? { metadataFilter: filter } : {}),
      });
      return hits.map((h) => ids.get(h.memory.id)!);
    });
    const recall = mode === "vector" ? recallAt10(c, results, filter !== undefined) : null;
    record(size, system, op, lat, recall, mode === "vector" ? "recall@10" : "");
  }
  await loci.close();
  for (const reopen of reopens) {
    const [reopenMs] = await timed(async () => {
      loci = await reopen.open();
      await loci.memory.search({ namespace: NS, query: c.queries[0]!.text, limit: 10 });
      await loci.whenIndexed();
    });
    record(size, system, reopen.op, null, reopenMs / 1000, "s");
    await loci.close();
  }
}

/** The driver's pushdown search, straight against PostgreSQL. */
async function benchPushdown(size: number, c: Corpus, url: string, schema: string): Promise<void> {
  for (const keyword of ["bm25", "fulltext"] as const) {
    const driver = new PostgresDriver({ connectionString: url, schema, forceIndexScans: true, keyword });
    const store = (await driver.openNamespace(NS)) as PostgresNamespaceStore;
    const seqToIndex = new Map<number, number>();
    for (let after = 0; ; ) {
      const page = await store.scan({ afterSeq: after, limit: 5000 });
      for (const m of page) seqToIndex.set(m.seq, indexOfText(c).get(m.content)!);
      if (page.length < 5000) break;
      after = page[page.length - 1]!.seq;
    }
    if (keyword === "bm25") {
      const { lat, results } = await measure(async (i) => {
        const q = c.queries[i % c.queries.length]!;
        const hits = await store.vectorSearch({ vector: q.vector, k: 10, now: Date.now() });
        return hits.map((h) => seqToIndex.get(h.seq)!);
      });
      record(
        size,
        "pushdown: pgvector HNSW",
        "vector top-10",
        lat,
        recallAt10(c, results, false),
        "recall@10",
      );
      const filtered = await measure(async (i) => {
        const q = c.queries[i % c.queries.length]!;
        const hits = await store.vectorSearch({
          vector: q.vector,
          k: 10,
          filter: { bucket: 7 },
          now: Date.now(),
        });
        return hits.map((h) => seqToIndex.get(h.seq)!);
      });
      record(
        size,
        "pushdown: pgvector HNSW",
        "vector top-10, 1% filter",
        filtered.lat,
        recallAt10(c, filtered.results, true),
        "recall@10",
      );
    }
    const { lat } = await measure((i) =>
      store.keywordSearch({ query: c.queries[i % c.queries.length]!.text, k: 10, now: Date.now() }),
    );
    record(
      size,
      `pushdown: ${keyword === "bm25" ? "pg_textsearch BM25" : "full text ts_rank_cd"}`,
      "keyword top-10",
      lat,
      null,
    );
    await driver.close();
  }
}

const pgUrl = process.env.LOCI_TEST_PG_URL;
const pglite: PgliteServer | null = pgUrl ? null : await startPgliteServer();
const url = pgUrl ?? pglite!.url;
const backend = pgUrl ? "PostgreSQL" : "PGlite";
try {
  for (const size of SIZES) {
    const c = makeCorpus({ n: size, dims: DIMS, queries: QUERIES });
    const embedder = lookupEmbedder(c);
    const base = (dataDir: string): LociOptions => ({ dataDir, embedder, sweepIntervalMs: 0 });
    const sqliteDir = mkdtempSync(join(tmpdir(), "loci-bench-pg-sqlite-"));
    await benchEngine(size, "engine on SQLite", c, () => Loci.open(base(sqliteDir)));
    rmSync(sqliteDir, { recursive: true, force: true });
    const schema = `loci_bench_${size}_${Date.now().toString(36)}`;
    const dirs: string[] = [];
    // Every open has its own data directory (as separate processes would); the local snapshots
    // (`PostgresDriverOptions.snapshotDir`) go to one directory, written when the first engine closes.
    const snapshotDir = mkdtempSync(join(tmpdir(), "loci-bench-pg-snapshots-"));
    dirs.push(snapshotDir);
    const openPg = (snapshots: boolean) => () => {
      const dir = mkdtempSync(join(tmpdir(), "loci-bench-pg-"));
      dirs.push(dir);
      const storage = new PostgresDriver({
        connectionString: url,
        schema,
        ...(snapshots ? { snapshotDir } : {}),
      });
      return Loci.open({ ...base(dir), storage });
    };
    await benchEngine(size, `engine on ${backend}`, c, openPg(true), [
      { op: "reopen, first search, graph ready", open: openPg(false) },
      { op: "same, from local snapshots", open: openPg(true) },
    ]);
    await benchPushdown(size, c, url, schema);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    console.error(`size ${size} done`);
  }
} finally {
  await pglite?.stop();
}

const fmt = (x: number | null, digits = 2) => (x === null ? "" : x.toFixed(digits));
const table = [
  ["size", "system", "operation", "p50 ms", "p99 ms", "value"],
  ...rows.map((r) => [
    r.size.toLocaleString("en-US"),
    r.system,
    r.op,
    fmt(r.p50),
    fmt(r.p99),
    r.value === null
      ? ""
      : `${r.unit === "memories/s" ? Math.round(r.value).toLocaleString("en-US") : fmt(r.value, r.unit === "s" ? 1 : 3)} ${r.unit}`,
  ]),
];
const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
const line = (r: string[]) => `| ${r.map((cell, i) => cell.padEnd(widths[i]!)).join(" | ")} |`;
console.log(
  [line(table[0]!), line(widths.map((w) => "-".repeat(w))), ...table.slice(1).map(line)].join("\n"),
);

const out = join(import.meta.dirname, "results");
mkdirSync(out, { recursive: true });
writeFileSync(
  join(out, "postgres.json"),
  `${JSON.stringify({ backend, queries: QUERIES, rows }, null, 2)}\n`,
);
const searches = rows.filter((r) => r.p50 !== null && r.size === SIZES[SIZES.length - 1]);
writeFileSync(
  join(out, "postgres.svg"),
  barChart({
    title: `Search p50 (ms) at ${SIZES[SIZES.length - 1]!.toLocaleString("en-US")} memories, ${backend}`,
    bars: searches.map((r) => ({ label: `${r.system} · ${r.op}`, value: r.p50! })),
  }),
);
