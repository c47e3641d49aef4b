/**
 * The ANN search beam against recall, on the peers benchmark's data: raw hnswlib-node (M 16,
 * efConstruction 100, as the engine builds its graphs) over generated 512-d vectors, searched with
 * each beam (efSearch); recall@10 against an exact brute force, and the time per query. It shows how
 * far a fixed beam's recall falls as a graph grows, which the engine's size-scaled beam
 * (`searchBeam` in `packages/engine/src/index/hnsw.ts`) answers.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import hnswlib from "hnswlib-node";
import { CorpusStream } from "./data.js";
import { fmt, markdownTable, writeResults } from "./report.js";

const DIMS = 512;
const K = 10;

/** Options of {@link runBeamSweep}. */
export interface BeamSweepOptions {
  size: number;
  beams: number[];
  queries: number;
  /** Links per node (hnswlib's M); default 16, as the engine builds its graphs. */
  m?: number;
  /** Build beam (efConstruction); default 100, as the engine builds its graphs. */
  efConstruction?: number;
  outDir?: string;
  log?: (line: string) => void;
}

/** One beam's result. */
export interface BeamRow {
  beam: number;
  recall: number;
  msPerQuery: number;
}

/** Builds the graph once, then searches it with every beam; prints a table and writes `beam-<size>.json`. */
export function runBeamSweep(opts: BeamSweepOptions): { rows: BeamRow[]; files: string[] } {
  const log = opts.log ?? console.log;
  const { size } = opts;
  const m = opts.m ?? 16;
  const efConstruction = opts.efConstruction ?? 100;
  const stream = new CorpusStream({ n: size, dims: DIMS });
  const index = new hnswlib.HierarchicalNSW("cosine", DIMS);
  index.initIndex({ maxElements: size, m, efConstruction, randomSeed: 100 });
  const all = new Float32Array(size * DIMS);
  const started = performance.now();
  for (const batch of stream.batches(1000)) {
    for (const [j, v] of batch.vectors.entries()) {
      all.set(v, (batch.start + j) * DIMS);
      index.addPoint(Array.from(v), batch.start + j);
    }
  }
  const buildSeconds = (performance.now() - started) / 1000;
  log(`built ${fmt(size)} vectors in ${fmt(buildSeconds, 1)} s`);

  // The generated vectors are unit length: cosine similarity is the dot product.
  const queries = stream.queries(opts.queries);
  const truth = queries.map((q) => {
    const scores = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      let dot = 0;
      for (let d = 0, o = i * DIMS; d < DIMS; d++) dot += all[o + d]! * q.vector[d]!;
      scores[i] = dot;
    }
    return new Set(
      Array.from(scores.keys())
        .sort((a, b) => scores[b]! - scores[a]!)
        .slice(0, K),
    );
  });

  const k = Math.min(K, size);
  const rows = opts.beams.map((beam): BeamRow => {
    index.setEf(beam);
    let found = 0;
    const t = performance.now();
    for (const [i, q] of queries.entries()) {
      for (const label of index.searchKnn(Array.from(q.vector), k).neighbors)
        if (truth[i]!.has(label)) found++;
    }
    return {
      beam,
      recall: found / (k * queries.length),
      msPerQuery: (performance.now() - t) / queries.length,
    };
  });
  log(
    markdownTable(
      ["vectors", "M / efConstruction", "beam (efSearch)", "recall@10", "ms / query"],
      rows.map((r) => [
        fmt(size),
        `${m} / ${efConstruction}`,
        String(r.beam),
        r.recall.toFixed(3),
        r.msPerQuery.toFixed(2),
      ]),
    ),
  );
  const here = dirname(fileURLToPath(import.meta.url));
  const files = writeResults(
    opts.outDir ?? join(here, "results"),
    m === 16 && efConstruction === 100 ? `beam-${size}` : `beam-${size}-m${m}-efc${efConstruction}`,
    {
      meta: { date: new Date().toISOString(), size, dims: DIMS, m, efConstruction, buildSeconds },
      rows,
    },
    {},
  );
  log(`wrote ${files.join(", ")}`);
  return { rows, files };
}
