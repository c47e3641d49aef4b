/**
 * The online graph rebuild (`vectorIndex.m` / `efConstruction` changed on a namespace that holds
 * memories, `packages/engine/src/engine/graph-rebuild.ts`): the engine in process, over the peers
 * benchmark's generated 512-d vectors (passed as precomputed embeddings). Vector searches run before the
 * change, back to back while the new graph is built, and after the swap. Each phase reports p50 / p99
 * latency and recall@10 against an exact brute force. The benchmark also reports how long the rebuild
 * took and how many adds committed during it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HashEmbedder, Loci } from "@loci/engine";
import { CorpusStream, percentile } from "./data.js";
import { fmt, markdownTable, RESULTS_DIR, writeResults } from "./report.js";
import { barChart } from "./svg.js";

const DIMS = 512;
const K = 10;
const NS = "bench";

/** Options of {@link runRebuild}. */
export interface RebuildOptions {
  size: number;
  queries: number;
  /** The new graph's degree and build beam (the namespace starts with 16 / 100). */
  m: number;
  efConstruction: number;
  outDir?: string;
  log?: (line: string) => void;
}

/** One phase's searches. */
export interface RebuildPhase {
  phase: "before" | "during" | "after";
  searches: number;
  p50Ms: number;
  p99Ms: number;
  recall: number;
}

/** What {@link runRebuild} measured. */
export interface RebuildResult {
  size: number;
  m: number;
  efConstruction: number;
  ingestSeconds: number;
  rebuildSeconds: number;
  /** Adds committed (one at a time) while the graph was rebuilt, and found afterwards. */
  addsDuring: number;
  addsFound: number;
  phases: RebuildPhase[];
}

/** Ingests `size` memories, changes the graph's parameters, and measures searches around the rebuild. */
export async function runRebuild(opts: RebuildOptions): Promise<{ result: RebuildResult; files: string[] }> {
  const log = opts.log ?? console.log;
  const dataDir = mkdtempSync(join(tmpdir(), "loci-bench-rebuild-"));
  const loci = await Loci.open({
    dataDir,
    embedder: new HashEmbedder({ dimensions: DIMS }),
    embeddingCache: false,
    sweepIntervalMs: 0,
  });
  try {
    const stream = new CorpusStream({ n: opts.size, dims: DIMS });
    const all = new Float32Array(opts.size * DIMS);
    const ids = new Map<string, number>();
    const t0 = performance.now();
    for (const batch of stream.batches(1000)) {
      for (const [j, v] of batch.vectors.entries()) all.set(v, (batch.start + j) * DIMS);
      const added = await loci.memory.addMany({
        namespace: NS,
        memories: batch.vectors.map((v, j) => ({ content: batch.texts[j]!, embedding: v })),
      });
      for (const [j, m] of added.entries()) ids.set(m.id, batch.start + j);
    }
    await loci.whenIndexed();
    const ingestSeconds = (performance.now() - t0) / 1000;
    log(`ingested ${fmt(opts.size)} memories in ${fmt(ingestSeconds, 1)} s`);

    const queries = stream.queries(opts.queries);
    const truth = queries.map((q) => exactTop(all, opts.size, q.vector));
    let cursor = 0;
    const search = async () => {
      const i = cursor++ % queries.length;
      const t = performance.now();
      const hits = await loci.memory.search({
        namespace: NS,
        query: queries[i]!.text,
        queryEmbedding: queries[i]!.vector,
        mode: "vector",
        limit: K,
      });
      const found = hits.filter((h) => truth[i]!.has(ids.get(h.memory.id) ?? -1)).length;
      return { ms: performance.now() - t, found };
    };
    const phase = async (
      name: RebuildPhase["phase"],
      opts: { until: () => boolean; min: number; between?: (i: number) => Promise<void> },
    ): Promise<RebuildPhase> => {
      const ms: number[] = [];
      let found = 0;
      while (ms.length < opts.min || !opts.until()) {
        const r = await search();
        ms.push(r.ms);
        found += r.found;
        await opts.between?.(ms.length);
        // Let timers run between searches, as requests arriving over I/O would: the engine's search
        // path resolves in microtasks only (SQLite reads are synchronous), and the rebuild inserts in
        // timer slices.
        await new Promise((resolve) => setImmediate(resolve));
      }
      const recall = found / (K * ms.length);
      return {
        phase: name,
        searches: ms.length,
        p50Ms: percentile(ms, 50),
        p99Ms: percentile(ms, 99),
        recall,
      };
    };

    const before = await phase("before", { until: () => true, min: queries.length });
    const started = performance.now();
    await loci.namespace.configure({
      namespace: NS,
      vectorIndex: { m: opts.m, efConstruction: opts.efConstruction },
    });
    let done = false;
    const rebuilt = loci.whenIndexed({ namespace: NS }).then(() => {
      done = true;
    });
    // Searches back to back while the rebuild runs, with one add after every fourth.
    const adds: string[] = [];
    const extra = new CorpusStream({ n: 10_000, dims: DIMS, seed: 7 }).batches(10_000).next().value!;
    const during = await phase("during", {
      until: () => done,
      min: 1,
      between: async (i) => {
        if (i % 4 !== 0 || done || adds.length >= extra.vectors.length) return;
        const k = adds.length;
        const m = await loci.memory.add({
          namespace: NS,
          content: extra.texts[k]!,
          embedding: extra.vectors[k]!,
        });
        adds.push(m.id);
      },
    });
    await rebuilt;
    const rebuildSeconds = (performance.now() - started) / 1000;
    const after = await phase("after", { until: () => true, min: queries.length });
    let addsFound = 0;
    for (const [i, id] of adds.entries()) {
      const hits = await loci.memory.search({
        namespace: NS,
        query: extra.texts[i]!,
        queryEmbedding: extra.vectors[i]!,
        mode: "vector",
        limit: 1,
      });
      if (hits[0]?.memory.id === id) addsFound++;
    }
    const result: RebuildResult = {
      size: opts.size,
      m: opts.m,
      efConstruction: opts.efConstruction,
      ingestSeconds,
      rebuildSeconds,
      addsDuring: adds.length,
      addsFound,
      phases: [before, during, after],
    };
    log(rebuildTable(result));
    const files = writeResults(
      opts.outDir ?? RESULTS_DIR,
      `rebuild-${opts.size}-m${opts.m}-efc${opts.efConstruction}`,
      { meta: { date: new Date().toISOString(), dims: DIMS }, ...result },
      { latency: rebuildChart(result) },
    );
    log(`wrote ${files.join(", ")}`);
    return { result, files };
  } finally {
    await loci.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The exact top 10 of a unit query over unit vectors (indexes into `all`). */
function exactTop(all: Float32Array, n: number, q: Float32Array): Set<number> {
  const scores = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let dot = 0;
    for (let d = 0, o = i * DIMS; d < DIMS; d++) dot += all[o + d]! * q[d]!;
    scores[i] = dot;
  }
  return new Set(
    Array.from(scores.keys())
      .sort((a, b) => scores[b]! - scores[a]!)
      .slice(0, K),
  );
}

/** The result as a Markdown table. */
export function rebuildTable(r: RebuildResult): string {
  const graph = (p: RebuildPhase) => (p.phase === "after" ? `${r.m} / ${r.efConstruction}` : "16 / 100");
  return [
    markdownTable(
      ["phase", "graph searched (M / efC)", "searches", "p50 ms", "p99 ms", "recall@10"],
      r.phases.map((p) => [
        p.phase,
        graph(p),
        fmt(p.searches),
        p.p50Ms.toFixed(2),
        p.p99Ms.toFixed(2),
        p.recall.toFixed(3),
      ]),
    ),
    "",
    `${fmt(r.size)} memories (ingest ${fmt(r.ingestSeconds, 1)} s); rebuild to M ${r.m} / efConstruction ${r.efConstruction}: ${fmt(r.rebuildSeconds, 1)} s; ${fmt(r.addsDuring)} adds during it, ${fmt(r.addsFound)} found as their own top hit afterwards.`,
  ].join("\n");
}

/** Search p50 per phase as an SVG bar chart. */
export function rebuildChart(r: RebuildResult): string {
  return barChart({
    title: `Vector search p50 around a graph rebuild (${fmt(r.size)} memories, M 16 → ${r.m})`,
    bars: r.phases.map((p) => ({ label: `${p.phase} (recall ${p.recall.toFixed(3)})`, value: p.p50Ms })),
    format: (v) => `${v.toFixed(2)} ms`,
  });
}
