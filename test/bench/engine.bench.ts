/**
 * Engine benchmark: add throughput and search latency of `@loci/engine` at 10k and 100k memories
 * (precomputed 384-d vectors), side by side in one run with the floor — raw hnswlib-node `searchKnn`
 * and raw flexsearch on the same data — printed as a table with ratios.
 *
 * Run: `pnpm bench:engine` (sizes: BENCH_SIZES=10000,100000; queries: BENCH_QUERIES=200).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FunctionEmbedder, Loci } from "@loci/engine";
import { Encoder, Index } from "flexsearch";
import hnswlib from "hnswlib-node";
import { makeCorpus, percentile } from "./data.js";
import { markdownTable } from "./report.js";

const DIMS = 384;
const SIZES = (process.env.BENCH_SIZES ?? "10000,100000").split(",").map(Number);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200);
const BATCH = 1000;

interface Row {
  size: number;
  op: string;
  loci: string;
  floor: string;
  ratio: string;
}
const rows: Row[] = [];
const ms = (x: number) => `${x.toFixed(3)} ms`;
const perSec = (n: number, t: number) => `${Math.round((n / t) * 1000).toLocaleString("en-US")}/s`;

function timeSync(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

async function latencies(n: number, fn: (i: number) => Promise<unknown> | unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

function addLatencyRows(size: number, op: string, loci: number[], floor: number[]): void {
  for (const p of [50, 99]) {
    const a = percentile(loci, p);
    const b = percentile(floor, p);
    rows.push({ size, op: `${op} p${p}`, loci: ms(a), floor: ms(b), ratio: `${(a / b).toFixed(1)}×` });
  }
}

for (const size of SIZES) {
  const corpus = makeCorpus({ n: size, dims: DIMS, queries: QUERIES });
  const dataDir = mkdtempSync(join(tmpdir(), "loci-bench-"));
  const embedder = new FunctionEmbedder({
    id: "bench-precomputed",
    dimensions: DIMS,
    embed: () => {
      throw new Error("the benchmark passes precomputed vectors");
    },
  });
  const loci = await Loci.open({ dataDir, embedder, snapshotEvery: Number.MAX_SAFE_INTEGER });

  // --- add throughput: engine (durable batches of 1,000) vs raw hnswlib + flexsearch (in memory)
  const tAdd = performance.now();
  for (let i = 0; i < size; i += BATCH) {
    await loci.memory.addMany({
      namespace: "bench",
      memories: corpus.texts.slice(i, i + BATCH).map((content, j) => ({
        content,
        embedding: corpus.vectors[i + j]!,
        metadata: { group: (i + j) % 100 },
      })),
    });
  }
  const lociAdd = performance.now() - tAdd;

  const raw = new hnswlib.HierarchicalNSW("cosine", DIMS);
  raw.initIndex({ maxElements: size, m: 16, efConstruction: 100, randomSeed: 100 });
  const fx = new Index({
    tokenize: "strict",
    encoder: new Encoder({ normalize: false, dedupe: false, numeric: false, split: " " }),
  });
  const rawAdd = timeSync(() => {
    for (let i = 0; i < size; i++) {
      raw.addPoint(Array.from(corpus.vectors[i]!), i);
      fx.add(i, corpus.texts[i]!);
    }
  });
  raw.setEf(64);
  rows.push({
    size,
    op: "add (batches of 1,000)",
    loci: perSec(size, lociAdd),
    floor: perSec(size, rawAdd),
    ratio: `${(lociAdd / rawAdd).toFixed(1)}× time`,
  });

  // --- single durable adds (one transaction + fsync each), a REST-style write
  const singles = await latencies(200, (i) =>
    loci.memory.add({ namespace: "bench-single", content: corpus.texts[i]!, embedding: corpus.vectors[i]! }),
  );
  rows.push({
    size,
    op: "single add p50 (durable)",
    loci: ms(percentile(singles, 50)),
    floor: "–",
    ratio: "–",
  });

  // --- search latency
  const q = corpus.queries;
  const vecLoci = await latencies(q.length, (i) =>
    loci.memory.search({
      namespace: "bench",
      query: q[i]!.text,
      queryEmbedding: q[i]!.vector,
      mode: "vector",
      limit: 10,
    }),
  );
  const vecRaw = await latencies(q.length, (i) => raw.searchKnn(Array.from(q[i]!.vector), 10));
  addLatencyRows(size, "vector search top-10", vecLoci, vecRaw);

  const kwLoci = await latencies(q.length, (i) =>
    loci.memory.search({ namespace: "bench", query: q[i]!.text, mode: "keyword", limit: 10 }),
  );
  const kwRaw = await latencies(q.length, (i) => fx.search(q[i]!.text, { limit: 10, suggest: true }));
  addLatencyRows(size, "keyword search top-10", kwLoci, kwRaw);

  const hyLoci = await latencies(q.length, (i) =>
    loci.memory.search({ namespace: "bench", query: q[i]!.text, queryEmbedding: q[i]!.vector, limit: 10 }),
  );
  const hyRaw = await latencies(q.length, (i) => {
    raw.searchKnn(Array.from(q[i]!.vector), 40);
    fx.search(q[i]!.text, { limit: 40, suggest: true });
  });
  addLatencyRows(size, "hybrid search top-10", hyLoci, hyRaw);

  const fLoci = await latencies(q.length, (i) =>
    loci.memory.search({
      namespace: "bench",
      query: q[i]!.text,
      queryEmbedding: q[i]!.vector,
      limit: 10,
      metadataFilter: { group: i % 100 },
    }),
  );
  const fRaw = await latencies(q.length, (i) =>
    raw.searchKnn(Array.from(q[i]!.vector), 10, (l: number) => l % 100 === i % 100),
  );
  addLatencyRows(size, "hybrid + 1% filter top-10", fLoci, fRaw);

  // --- cold start: reopen from snapshot
  await loci.close();
  const tOpen = performance.now();
  const reopened = await Loci.open({ dataDir, embedder });
  await reopened.memory.search({ namespace: "bench", query: "w1", mode: "keyword" });
  rows.push({
    size,
    op: "reopen + first search",
    loci: ms(performance.now() - tOpen),
    floor: "–",
    ratio: "–",
  });
  await reopened.close();
  rmSync(dataDir, { recursive: true, force: true });
}

const header = ["memories", "operation", "Loci engine", "floor (raw hnswlib + flexsearch)", "Loci / floor"];
console.log(
  markdownTable(
    header,
    rows.map((r) => [r.size.toLocaleString("en-US"), r.op, r.loci, r.floor, r.ratio]),
  ),
);
console.log(
  `\n${DIMS}-d vectors, ${QUERIES} queries per row, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
);
