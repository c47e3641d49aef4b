/**
 * The memory benchmark: where an engine's resident memory goes while one namespace fills up, and what
 * it gives back. Memories of the peers benchmark's stream (clustered unit vectors, Zipf texts, same
 * seed) are added in batches to one namespace of an engine in this process; memory is sampled every
 * `every` memories, once the ANN graph has caught up, after `settleMs` idle, and after the engine is
 * closed. Each sample follows a full garbage collection when the process runs with `--expose-gc`, so
 * what is left is what the engine holds (and the allocator keeps).
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HashEmbedder, Loci } from "@loci/engine";
import { CorpusStream } from "./data.js";
import { fmt, markdownTable } from "./report.js";
import { groupedBarsSvg } from "./svg.js";

/** Options of {@link runMemory}. */
export interface MemoryOptions {
  /** Memories added. @default 300000 */
  size?: number;
  /** Vector dimensions. @default 512 */
  dims?: number;
  /** Memories between samples while adding. @default 100000 */
  every?: number;
  /** Memories per `addMany`. @default 1000 */
  batch?: number;
  /** Idle time before the settled sample. @default 15000 */
  settleMs?: number;
  /** Changes between snapshots (the engine's `snapshotEvery`). @default 10000 */
  snapshotEvery?: number;
}

/** One reading of the process's memory, in MiB. */
export interface MemorySample {
  stage: string;
  /** Memories added when it was taken. */
  memories: number;
  /** Seconds since the first add. */
  seconds: number;
  /** Vectors not yet in the ANN graph. */
  pendingVectors: number;
  rss: number;
  heapUsed: number;
  /** Typed arrays' and buffers' bytes (the engine's postings, sketch and pending vectors among them). */
  arrayBuffers: number;
  /** Largest resident size so far. */
  maxRss: number;
}

/** What {@link runMemory} measured. */
export interface MemoryResult {
  size: number;
  dims: number;
  /** Whether each sample followed a full garbage collection (`node --expose-gc`). */
  gcForced: boolean;
  node: string;
  samples: MemorySample[];
}

const MiB = 2 ** 20;

/** Adds `size` memories to one namespace, sampling memory along the way (see the module comment). */
export async function runMemory(opts: MemoryOptions = {}): Promise<MemoryResult> {
  const size = opts.size ?? 300_000;
  const dims = opts.dims ?? 512;
  const every = opts.every ?? 100_000;
  const batch = opts.batch ?? 1000;
  const gc = (globalThis as { gc?: () => void }).gc;
  const dir = mkdtempSync(join(tmpdir(), "loci-memory-"));
  const samples: MemorySample[] = [];
  const loci = await Loci.open({
    dataDir: dir,
    embedder: new HashEmbedder({ dimensions: dims }),
    snapshotEvery: opts.snapshotEvery ?? 10_000,
  });
  const t0 = performance.now();
  let added = 0;
  let pending = async () => (await loci.namespace.get({ namespace: "bench" })).indexing.pendingVectors;
  const sample = async (stage: string) => {
    const pendingVectors = await pending();
    gc?.();
    gc?.();
    const m = process.memoryUsage();
    samples.push({
      stage,
      memories: added,
      seconds: (performance.now() - t0) / 1000,
      pendingVectors,
      rss: m.rss / MiB,
      heapUsed: m.heapUsed / MiB,
      arrayBuffers: m.arrayBuffers / MiB,
      maxRss: process.resourceUsage().maxRSS / 1024,
    });
  };
  try {
    await loci.namespace.create({ name: "bench" });
    await sample("empty");
    let next = every;
    for (const b of new CorpusStream({ n: size, dims }).batches(batch)) {
      await loci.memory.addMany({
        namespace: "bench",
        memories: b.texts.map((content, j) => ({
          id: `m${b.start + j}`,
          content,
          embedding: b.vectors[j]!,
          metadata: { ...b.metadata[j]! },
        })),
      });
      added += b.texts.length;
      if (added >= next && added < size) {
        await sample("adding");
        next += every;
      }
    }
    await sample("added");
    await loci.whenIndexed({ namespace: "bench" });
    await sample("indexed");
    await new Promise((resolve) => setTimeout(resolve, opts.settleMs ?? 15_000));
    await sample("settled");
  } finally {
    await loci.close();
  }
  pending = async () => 0;
  await sample("closed");
  rmSync(dir, { recursive: true, force: true });
  return { size, dims, gcForced: gc !== undefined, node: process.version, samples };
}

/** The samples as a Markdown table. */
export function memoryTable(r: MemoryResult): string {
  return markdownTable(
    ["stage", "memories", "time", "pending vectors", "RSS", "JS heap used", "array buffers", "peak RSS"],
    r.samples.map((s) => [
      s.stage,
      fmt(s.memories),
      `${fmt(s.seconds, 1)} s`,
      fmt(s.pendingVectors),
      `${fmt(s.rss)} MiB`,
      `${fmt(s.heapUsed)} MiB`,
      `${fmt(s.arrayBuffers)} MiB`,
      `${fmt(s.maxRss)} MiB`,
    ]),
  );
}

/** The samples as a bar chart (RSS, JS heap and array buffers per sample). */
export function memoryChart(r: MemoryResult): string {
  return groupedBarsSvg({
    title: `Resident memory, ${fmt(r.size)} ${r.dims}-d memories in one namespace`,
    unit: "MiB",
    groups: r.samples.map((s) => `${s.stage} ${fmt(s.memories)}`),
    series: [
      { name: "RSS", values: r.samples.map((s) => s.rss) },
      { name: "JS heap used", values: r.samples.map((s) => s.heapUsed) },
      { name: "array buffers", values: r.samples.map((s) => s.arrayBuffers) },
    ],
  });
}
