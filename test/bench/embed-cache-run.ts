/**
 * The embedding-cache benchmark: the same searches on two engines over the same memories, one with
 * the engine's in-memory embedding cache (the default) and one with `embeddingCache: false`, timed
 * interleaved query by query. The workload is a conversation's questions, each asked `repeats` times
 * in a seeded random order (agents of a crew asking the same thing, or one agent every turn).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Embedder, FunctionEmbedder, Loci, type SearchResult } from "@loci/engine";
import { percentile } from "./data.js";
import type { Dataset } from "./recall/datasets.js";
import { fmt, markdownTable } from "./report.js";
import { groupedBarsSvg } from "./svg.js";

/** Options of {@link runEmbedCache}. */
export interface EmbedCacheOptions {
  dataset: Dataset;
  embedder: Embedder;
  /** Times each question is asked. @default 3 */
  repeats?: number;
  /** Distinct questions used (the first ones of the first conversation). @default 100 */
  questions?: number;
  seed?: number;
}

/** One engine's numbers. */
export interface EmbedCacheSide {
  searches: number;
  /** Texts the model embedded for the searches. */
  embedded: number;
  p50: number;
  p99: number;
  meanMs: number;
}

/** What {@link runEmbedCache} measured. */
export interface EmbedCacheResult {
  embedder: string;
  conversation: string;
  memories: number;
  questions: number;
  repeats: number;
  cached: EmbedCacheSide;
  uncached: EmbedCacheSide;
  /** Share of searches that returned the same memories (by content) with the same scores on both engines. */
  identical: number;
}

/** `embedder`, counting the texts it embeds. */
export function counted(embedder: Embedder) {
  const counter = { texts: 0 };
  const wrapped = new FunctionEmbedder({
    id: embedder.id,
    dimensions: embedder.dimensions,
    normalize: false,
    embed: (texts) => {
      counter.texts += texts.length;
      return embedder.embed(texts);
    },
  });
  return { wrapped, counter };
}

/** A seeded shuffle (mulberry32). */
function shuffle<T>(items: T[], seed: number): T[] {
  let s = seed >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const same = (a: SearchResult[], b: SearchResult[]) =>
  a.length === b.length &&
  a.every((r, i) => r.memory.content === b[i]!.memory.content && r.score === b[i]!.score);

/** Runs the benchmark (two temporary engines, removed afterwards). */
export async function runEmbedCache(opts: EmbedCacheOptions): Promise<EmbedCacheResult> {
  const chat = opts.dataset.conversations[0];
  if (!chat) throw new Error("the data set has no conversation");
  const repeats = opts.repeats ?? 3;
  const questions = [...new Set(chat.questions.map((q) => q.question))].slice(0, opts.questions ?? 100);
  const contents = chat.turns.map((t) => `${t.speaker}: ${t.text}`);
  const vectors: Float32Array[] = [];
  for (let i = 0; i < contents.length; i += 64)
    vectors.push(...(await opts.embedder.embed(contents.slice(i, i + 64))));

  const sides = [true, false].map((cache) => {
    const { wrapped, counter } = counted(opts.embedder);
    const dir = mkdtempSync(join(tmpdir(), `loci-embed-cache-${cache ? "on" : "off"}-`));
    return {
      cache,
      counter,
      dir,
      ms: [] as number[],
      open: () =>
        Loci.open({ dataDir: dir, embedder: wrapped, ...(cache ? {} : { embeddingCache: false as const }) }),
    };
  });
  const engines = await Promise.all(sides.map((s) => s.open()));
  try {
    for (const loci of engines) {
      await loci.memory.addMany({
        namespace: "chat",
        memories: contents.map((content, i) => ({ content, embedding: vectors[i]! })),
      });
      await loci.whenIndexed({ namespace: "chat" });
    }
    for (const s of sides) s.counter.texts = 0;
    const workload = shuffle(
      questions.flatMap((q) => Array.from({ length: repeats }, () => q)),
      opts.seed ?? 7,
    );
    let identical = 0;
    for (const [i, query] of workload.entries()) {
      const results: SearchResult[][] = [[], []];
      // Alternate which engine goes first, so neither always finds the CPU caches warm.
      for (const k of i % 2 === 0 ? [0, 1] : [1, 0]) {
        const t = performance.now();
        results[k] = await engines[k]!.memory.search({ namespace: "chat", query, limit: 10 });
        sides[k]!.ms.push(performance.now() - t);
      }
      if (same(results[0]!, results[1]!)) identical++;
    }
    const side = (s: (typeof sides)[number]): EmbedCacheSide => ({
      searches: s.ms.length,
      embedded: s.counter.texts,
      p50: percentile(s.ms, 50),
      p99: percentile(s.ms, 99),
      meanMs: s.ms.reduce((a, b) => a + b, 0) / Math.max(1, s.ms.length),
    });
    return {
      embedder: opts.embedder.id,
      conversation: chat.id,
      memories: contents.length,
      questions: questions.length,
      repeats,
      cached: side(sides[0]!),
      uncached: side(sides[1]!),
      identical: identical / Math.max(1, workload.length),
    };
  } finally {
    for (const loci of engines) await loci.close();
    for (const s of sides) rmSync(s.dir, { recursive: true, force: true });
  }
}

/** The result as a Markdown table. */
export function embedCacheTable(r: EmbedCacheResult): string {
  const row = (name: string, s: EmbedCacheSide) => [
    name,
    fmt(s.searches),
    fmt(s.embedded),
    `${s.p50.toFixed(2)} ms`,
    `${s.p99.toFixed(2)} ms`,
    `${s.meanMs.toFixed(2)} ms`,
  ];
  return markdownTable(
    ["engine", "searches", "queries embedded", "p50", "p99", "mean"],
    [row("embedding cache (default)", r.cached), row("embeddingCache: false", r.uncached)],
  );
}

/** One line: the ratio and the identity check. */
export function embedCacheSummary(r: EmbedCacheResult): string {
  return (
    `${r.embedder}, ${r.conversation}: ${fmt(r.memories)} memories, ${r.questions} questions × ${r.repeats}; ` +
    `mean search time ${(r.uncached.meanMs / r.cached.meanMs).toFixed(1)}× lower with the cache ` +
    `(p50 ${(r.uncached.p50 / r.cached.p50).toFixed(1)}×); same results in ${(100 * r.identical).toFixed(1)} % of searches`
  );
}

/** p50, p99 and mean of both engines, as grouped bars. */
export function embedCacheChart(r: EmbedCacheResult): string {
  return groupedBarsSvg({
    title: `Hybrid search with ${r.embedder}, each question asked ${r.repeats}× (lower is better)`,
    unit: "ms",
    groups: ["p50", "p99", "mean"],
    series: [
      { name: "embedding cache (default)", values: [r.cached.p50, r.cached.p99, r.cached.meanMs] },
      { name: "embeddingCache: false", values: [r.uncached.p50, r.uncached.p99, r.uncached.meanMs] },
    ],
    log: true,
  });
}
