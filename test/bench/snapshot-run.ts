/**
 * How long writing an ANN snapshot stalls the event loop, side by side in one process over graphs of
 * the same size: the synchronous path the engine used before (hnswlib's `writeIndexSync`, then hashing
 * the file in one read), on a raw hnswlib graph, against the engine's own snapshot written when a
 * namespace closes (the graph file written on hnswlib's worker thread, the layout check and checksum
 * read in 1 MiB asynchronous chunks). A third row closes the engine with its snapshot current: the
 * rest of closing (SQLite's own checkpoint and close), to tell apart from the snapshot. A 1 ms
 * interval timer records the longest gap between its callbacks while each runs: what any other
 * request would have waited.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HashEmbedder, Loci } from "@loci/engine";
import hnswlib from "hnswlib-node";
import { fmt, markdownTable, RESULTS_DIR, writeResults } from "./report.js";
import { barChart } from "./svg.js";

/** Options of {@link runSnapshotStall}. */
export interface SnapshotStallOptions {
  size: number;
  dimensions?: number;
  repeats?: number;
  outDir?: string;
  log?: (line: string) => void;
}

/** One way of writing, measured. */
export interface SnapshotStallRow {
  path: "sync write (before)" | "engine close, writing the snapshot (now)" | "engine close, nothing to write";
  /** Per repeat: wall time of the write, and the longest event-loop stall during it (ms). */
  runs: { totalMs: number; stallMs: number }[];
}

async function measure(write: () => Promise<void> | void): Promise<{ totalMs: number; stallMs: number }> {
  let last = performance.now();
  let stall = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
  }, 1);
  await new Promise((r) => setTimeout(r, 20));
  stall = 0;
  last = performance.now();
  const start = performance.now();
  await write();
  const totalMs = performance.now() - start;
  await new Promise((r) => setTimeout(r, 20));
  clearInterval(tick);
  return { totalMs, stallMs: stall };
}

/** Builds a graph of `size` random vectors, then writes it both ways, `repeats` times each. */
export async function runSnapshotStall(opts: SnapshotStallOptions) {
  const log = opts.log ?? console.log;
  const d = opts.dimensions ?? 512;
  const repeats = opts.repeats ?? 3;
  const dir = mkdtempSync(join(tmpdir(), "loci-bench-snapshot-"));
  try {
    const raw = new hnswlib.HierarchicalNSW("cosine", d);
    raw.initIndex({ maxElements: opts.size, m: 16, efConstruction: 100, randomSeed: 1 });
    for (let i = 1; i <= opts.size; i++)
      raw.addPoint(
        Array.from({ length: d }, () => Math.random() - 0.5),
        i,
      );
    const file = join(dir, "graph.hnsw");
    raw.writeIndexSync(file);
    const rows: SnapshotStallRow[] = [
      { path: "sync write (before)", runs: [] },
      { path: "engine close, writing the snapshot (now)", runs: [] },
      { path: "engine close, nothing to write", runs: [] },
    ];
    const dataDir = join(dir, "engine");
    const embedder = new HashEmbedder({ dimensions: d });
    // No snapshot while ingesting: the one written on close is measured.
    let loci = await Loci.open({ dataDir, embedder, embeddingCache: false, snapshotEvery: opts.size * 10 });
    for (let i = 0; i < opts.size; i += 1000) {
      const memories = Array.from({ length: Math.min(1000, opts.size - i) }, (_, j) => ({
        content: `memory ${i + j} ${Math.random().toString(36).slice(2)}`,
      }));
      await loci.memory.addMany({ namespace: "bench", memories });
    }
    for (let r = 0; r < repeats; r++) {
      rows[0]!.runs.push(
        await measure(() => {
          raw.writeIndexSync(file);
          createHash("sha256").update(readFileSync(file)).digest("hex");
        }),
      );
      await loci.whenIndexed();
      // One change, so the snapshot on disk is behind and close writes it.
      await loci.memory.add({ namespace: "bench", content: `one more ${r}` });
      await loci.whenIndexed();
      const closing = loci;
      rows[1]!.runs.push(await measure(() => closing.close()));
      loci = await Loci.open({ dataDir, embedder, embeddingCache: false, snapshotEvery: opts.size * 10 });
      // The same close with the snapshot current: what closing costs without the snapshot.
      await loci.memory.list({ namespace: "bench", limit: 1 });
      await loci.whenIndexed();
      const idle = loci;
      rows[2]!.runs.push(await measure(() => idle.close()));
      loci = await Loci.open({ dataDir, embedder, embeddingCache: false, snapshotEvery: opts.size * 10 });
    }
    await loci.close();
    const range = (xs: number[]) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
    log(
      markdownTable(
        ["write", "vectors", "wall time ms", "longest event-loop stall ms"],
        rows.map((row) => [
          row.path,
          fmt(opts.size),
          range(row.runs.map((x) => x.totalMs)),
          range(row.runs.map((x) => x.stallMs)),
        ]),
      ),
    );
    const result = { size: opts.size, dimensions: d, repeats, rows };
    const chart = barChart({
      title: `Longest event-loop stall while writing a ${fmt(opts.size)}-vector snapshot (${d}-d)`,
      bars: rows.map((row) => ({ label: row.path, value: Math.max(...row.runs.map((x) => x.stallMs)) })),
      format: (v) => `${fmt(v)} ms`,
    });
    const files = writeResults(opts.outDir ?? RESULTS_DIR, `snapshot-stall-${opts.size}`, result, {
      stall: chart,
    });
    return { result, files };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
