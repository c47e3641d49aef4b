/**
 * The server load benchmark: starts `loci serve` as a child process on 127.0.0.1 (auth on, rate limit
 * off, default logging), preloads memories through the batch route, then drives hybrid searches and
 * single adds with autocannon at several concurrencies for a bounded time each. All traffic goes to
 * 127.0.0.1 only.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { CorpusStream } from "./data.js";
import { fmt, markdownTable, writeResults } from "./report.js";
import { groupedBarsSvg } from "./svg.js";

/** Options of {@link runServerLoad}. */
export interface ServerLoadOptions {
  /** Memories preloaded (hash embedder). */
  size: number;
  concurrency: number[];
  /** Seconds per autocannon run. */
  duration: number;
  /** Also measure the default USE-lite embedder (searches at this concurrency over `realSize` memories). */
  realEmbedder?: { concurrency: number; size: number } | null;
  outDir?: string;
  log?: (line: string) => void;
}

/** One autocannon run. */
export interface LoadRow {
  embedder: string;
  memories: number;
  /** `get`: `GET /v1/namespaces/{ns}` (auth, routing, JSON; no search): the server's own floor. */
  op: "search" | "add" | "get";
  concurrency: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  /** Non-2xx responses plus connection errors and timeouts. */
  errors: number;
  /**
   * Share of the texts the run asked the server to embed that its embedding cache served (from
   * `/metrics`; `null` when the run embedded nothing). Queries cycle through 500 texts; every add is new.
   */
  cacheHits: number | null;
}

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const ROOT_KEY = "bench-root-key-0123456789abcdef";
const NS = "bench";
const DIMS = 512;

interface Server {
  url: string;
  child: ChildProcess;
}

async function startServe(dataDir: string, embedder: "hash" | "use-lite"): Promise<Server> {
  const args = ["--import", "tsx", "--conditions=loci-source", "packages/server/src/cli/main.ts", "serve"];
  args.push("--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir, "--embedder", embedder);
  if (embedder === "hash") args.push("--embeddings-dimensions", String(DIMS));
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, LOCI_ROOT_KEY: ROOT_KEY, LOCI_RATE_LIMIT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    stderr = `${stderr}${d}`.slice(-4000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = "";
    const onData = (d: Buffer) => {
      buf += d;
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(buf);
      if (m) resolve(m[1]!);
      if (buf.length > 100_000) buf = buf.slice(-10_000);
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`loci serve exited (${code}): ${stderr}`)));
  });
  // Keep draining the request log so the server never blocks on a full pipe.
  child.stdout!.removeAllListeners("data");
  child.stdout!.resume();
  return { url, child };
}

async function stopServe(s: Server): Promise<void> {
  if (s.child.exitCode !== null) return;
  const done = new Promise((r) => s.child.once("exit", r));
  s.child.kill("SIGTERM");
  await done;
}

async function call(s: Server, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${s.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${ROOT_KEY}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Preloads `n` stream documents in batches (with their vectors when `withVectors`). */
async function preload(s: Server, n: number, withVectors: boolean, log: (l: string) => void) {
  const t = performance.now();
  // Vectors as JSON are ~10 KB each: smaller batches keep bodies under the 10 MiB limit.
  for (const b of new CorpusStream({ n, dims: DIMS }).batches(withVectors ? 250 : 1000)) {
    await call(s, `/v1/namespaces/${NS}/memories/batch`, {
      memories: b.texts.map((content, j) => ({
        content,
        metadata: b.metadata[j],
        ...(withVectors ? { embedding: Array.from(b.vectors[j]!) } : {}),
      })),
    });
  }
  const seconds = (performance.now() - t) / 1000;
  log(`preloaded ${fmt(n)} memories in ${seconds.toFixed(1)} s (${fmt(n / seconds)}/s over HTTP)`);
  // Warm-up: the first search loads the namespace's indexes (and the embedding model). Each measured
  // run then waits for the graphs to hold the preload (see `measured`).
  await call(s, `/v1/namespaces/${NS}/search`, { query: "warm up", limit: 10 });
}

/** The server's `/metrics` values of `names` (0 for a metric it does not report). */
async function metrics<N extends string>(s: Server, names: readonly N[]): Promise<Record<N, number>> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const out = {} as Record<N, number>;
  for (const name of names) out[name] = Number(new RegExp(`^${name} (\\d+)`, "m").exec(text)?.[1] ?? 0);
  return out;
}

/** Waits until the server's ANN graphs hold the preload (searches are complete before, only slower). */
async function whenIdle(s: Server): Promise<void> {
  while ((await metrics(s, ["loci_index_pending_vectors"])).loci_index_pending_vectors > 0) {
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The server's embedding-cache counters. */
async function cacheCounters(s: Server): Promise<{ hits: number; misses: number }> {
  const m = await metrics(s, ["loci_embedding_cache_hits_total", "loci_embedding_cache_misses_total"]);
  return { hits: m.loci_embedding_cache_hits_total, misses: m.loci_embedding_cache_misses_total };
}

/**
 * One autocannon run, with the share of its embeddings the server's cache served. It starts once the
 * ANN graphs hold everything: the adds of a previous run leave vectors for the background insertion,
 * which would otherwise take the CPU from this run (the `get` row measured 2,088 requests/s right after
 * the adds at concurrency 64, against ~8,000/s once they were indexed).
 */
async function measured(
  s: Server,
  opts: Parameters<typeof cannon>[1],
): Promise<{ result: autocannon.Result; cacheHits: number | null }> {
  await whenIdle(s);
  const before = await cacheCounters(s);
  const result = await cannon(s, opts);
  const after = await cacheCounters(s);
  const hits = after.hits - before.hits;
  const total = hits + after.misses - before.misses;
  return { result, cacheHits: total > 0 ? hits / total : null };
}

function cannon(
  s: Server,
  opts: { op: LoadRow["op"]; concurrency: number; duration: number; texts: string[] },
): Promise<autocannon.Result> {
  let i = 0;
  const headers = { authorization: `Bearer ${ROOT_KEY}`, "content-type": "application/json" };
  if (opts.op === "get") {
    return autocannon({
      url: s.url,
      connections: opts.concurrency,
      duration: opts.duration,
      requests: [{ method: "GET", path: `/v1/namespaces/${NS}`, headers }],
    });
  }
  const path = opts.op === "search" ? `/v1/namespaces/${NS}/search` : `/v1/namespaces/${NS}/memories`;
  return autocannon({
    url: s.url,
    connections: opts.concurrency,
    duration: opts.duration,
    requests: [
      {
        method: "POST",
        path,
        headers,
        setupRequest: (req) => {
          const text = opts.texts[i++ % opts.texts.length]!;
          req.body = JSON.stringify(
            opts.op === "search"
              ? { query: text, limit: 10 }
              : // Every add is new content (a number appended): repeated texts would be served by the
                // embedding cache, which real adds rarely are.
                { content: `${text} (${i})`, metadata: { group: i % 10 } },
          );
          return req;
        },
      },
    ],
  });
}

function toRow(
  { result: r, cacheHits }: { result: autocannon.Result; cacheHits: number | null },
  base: Omit<LoadRow, "requests" | "rps" | "p50" | "p99" | "errors" | "cacheHits">,
): LoadRow {
  return {
    ...base,
    cacheHits,
    requests: r.requests.total,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.non2xx + r.errors + r.timeouts,
  };
}

/** Runs the benchmark; returns its rows and the paths of what it wrote. */
export async function runServerLoad(opts: ServerLoadOptions): Promise<{ rows: LoadRow[]; files: string[] }> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const rows: LoadRow[] = [];
  const stream = new CorpusStream({ n: opts.size, dims: DIMS });
  const queryTexts = stream.queries(500).map((q) => q.text);
  const addTexts = [...new CorpusStream({ n: 2000, dims: 8, seed: 7 }).batches(2000)][0]!.texts;

  const dir = mkdtempSync(join(tmpdir(), "loci-load-"));
  let server = await startServe(dir, "hash");
  try {
    await preload(server, opts.size, false, log);
    for (const op of ["search", "add"] as const) {
      for (const concurrency of opts.concurrency) {
        const texts = op === "search" ? queryTexts : addTexts;
        const m = await measured(server, { op, concurrency, duration: opts.duration, texts });
        rows.push(toRow(m, { embedder: "hash (512-d)", memories: opts.size, op, concurrency }));
        log(
          `${op} c=${concurrency}: ${fmt(m.result.requests.average)} req/s, p99 ${m.result.latency.p99} ms`,
        );
      }
    }
    const c = opts.concurrency[Math.floor(opts.concurrency.length / 2)]!;
    const m = await measured(server, { op: "get", concurrency: c, duration: opts.duration, texts: [] });
    rows.push(toRow(m, { embedder: "hash (512-d)", memories: opts.size, op: "get", concurrency: c }));
  } finally {
    await stopServe(server);
    rmSync(dir, { recursive: true, force: true });
  }

  if (opts.realEmbedder) {
    const realDir = mkdtempSync(join(tmpdir(), "loci-load-use-"));
    server = await startServe(realDir, "use-lite");
    try {
      await preload(server, opts.realEmbedder.size, true, log);
      const { concurrency, size } = opts.realEmbedder;
      const m = await measured(server, {
        op: "search",
        concurrency,
        duration: opts.duration,
        texts: queryTexts,
      });
      rows.push(toRow(m, { embedder: "use-lite (default)", memories: size, op: "search", concurrency }));
      log(
        `use-lite search c=${concurrency}: ${fmt(m.result.requests.average)} req/s, p99 ${m.result.latency.p99} ms`,
      );
    } finally {
      await stopServe(server);
      rmSync(realDir, { recursive: true, force: true });
    }
  }

  const table = markdownTable(
    [
      "embedder",
      "memories",
      "operation",
      "concurrency",
      "requests",
      "req/s",
      "p50",
      "p99",
      "errors",
      "embedding cache hits",
    ],
    rows.map((r) => [
      r.embedder,
      fmt(r.memories),
      { search: "hybrid search top-10", add: "add (single, durable)", get: "get namespace (server floor)" }[
        r.op
      ],
      String(r.concurrency),
      fmt(r.requests),
      fmt(r.rps),
      `${r.p50} ms`,
      `${r.p99} ms`,
      fmt(r.errors),
      r.cacheHits === null ? "–" : `${(100 * r.cacheHits).toFixed(0)} %`,
    ]),
  );
  log(`\n${table}\n`);
  const best = rows.filter((r) => r.op === "search" && r.embedder.startsWith("hash") && r.p99 < 50);
  const top = best.sort((a, b) => b.rps - a.rps)[0];
  log(
    `target (≥ 1,500 hybrid searches/s at p99 < 50 ms): ${top ? `${fmt(top.rps)}/s at c=${top.concurrency} (p99 ${top.p99} ms)` : "no run with p99 < 50 ms"}`,
  );
  const meta = { date: new Date().toISOString(), node: process.version, duration: opts.duration, dims: DIMS };
  const hashRows = rows.filter((r) => r.embedder.startsWith("hash"));
  const svg = groupedBarsSvg({
    title: `loci serve, ${fmt(opts.size)} memories: requests/s by concurrency (higher is better)`,
    unit: "requests/s",
    groups: opts.concurrency.map((c) => `concurrency ${c}`),
    series: (["search", "add"] as const).map((op) => ({
      name: op === "search" ? "hybrid search" : "add (durable)",
      values: opts.concurrency.map(
        (c) => hashRows.find((r) => r.op === op && r.concurrency === c)?.rps ?? null,
      ),
    })),
  });
  const files = writeResults(
    opts.outDir ?? join(here, "results"),
    "server-load",
    { meta, rows },
    { rps: svg },
  );
  log(`wrote ${files.join(", ")}`);
  return { rows, files };
}
