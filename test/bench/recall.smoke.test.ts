/**
 * Smoke test of the recall benchmark (CI size): the harness on the tiny LoCoMo fixture and, when the
 * data is beside the clone (`../shared/data/realtalk`), on one REALTALK chat, with the hash embedder.
 * Checks that metrics are computed and well-formed, not how good they are.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HashEmbedder } from "@loci/engine";
import { afterAll, describe, expect, it } from "vitest";
import { loadDataset } from "./recall/datasets.js";
import { DiskCachedEmbedder } from "./recall/embed-cache.js";
import { recallChart, recallTable, summaryLine } from "./recall/report.js";
import { type RecallConfig, type RecallRun, runRecall } from "./recall/run.js";

const cacheDir = mkdtempSync(join(tmpdir(), "recall-cache-"));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

const CONFIGS: RecallConfig[] = [
  { name: "keyword", opts: { mode: "keyword", neighbors: false, time: false } },
  { name: "vector", opts: { mode: "vector", neighbors: false, time: false } },
  { name: "hybrid", opts: { neighbors: false, time: false } },
  { name: "defaults", opts: {} },
  { name: "vector, sentence vectors", opts: { mode: "vector" }, namespace: { sentenceVectors: true } },
];

function checkRun(run: RecallRun, categories: string[]) {
  expect(run.configs.map((c) => c.name)).toEqual(CONFIGS.map((c) => c.name));
  for (const c of run.configs) {
    expect(Object.keys(c.categories).sort()).toEqual([...categories].sort());
    const groups = [c.overall, ...Object.values(c.categories)];
    expect(Object.values(c.categories).reduce((n, g) => n + g.questions, 0)).toBe(run.questions);
    for (const g of groups) {
      for (const k of run.ks) {
        expect(g.recall[k]).toBeGreaterThanOrEqual(0);
        expect(g.recall[k]).toBeLessThanOrEqual(100);
        // Any evidence found means a hit: hit@k ≥ recall@k.
        expect(g.hit[k]!).toBeGreaterThanOrEqual(g.recall[k]! - 1e-9);
      }
      for (let i = 1; i < run.ks.length; i++)
        expect(g.recall[run.ks[i]!]!).toBeGreaterThanOrEqual(g.recall[run.ks[i - 1]!]!);
    }
    expect(c.searchMs.p99).toBeGreaterThanOrEqual(c.searchMs.p50);
  }
}

describe("recall benchmark (smoke)", () => {
  it("scores the LoCoMo fixture per category, and caches embeddings on disk", async () => {
    const dataset = loadDataset(join(import.meta.dirname, "recall", "fixtures", "locomo-tiny.json"));
    const embedder = new DiskCachedEmbedder({ inner: new HashEmbedder({ dimensions: 64 }), dir: cacheDir });
    const run = await runRecall({
      dataset,
      embedder,
      configs: CONFIGS,
      embeddedTexts: () => embedder.misses,
    });
    expect(run).toMatchObject({ format: "locomo", conversations: 2, turns: 10, questions: 7, skipped: 1 });
    checkRun(run, ["adversarial", "multi-hop", "open-domain", "single-hop", "temporal"]);
    // Exact words make these easy for BM25: the dog's name and the ticket id are found at once.
    const keyword = run.configs[0]!;
    expect(keyword.categories["single-hop"]!.hit[5]).toBe(100);
    expect(run.ingest.embeddedTexts).toBeGreaterThan(0);
    // The sentence-vector configuration searched its own copy of the conversations.
    expect(Object.keys(run.extraIngestMs)).toEqual(['{"sentenceVectors":true}']);
    expect(summaryLine(run)).toContain('Ingest again with namespace options {"sentenceVectors":true}');
    // A second run embeds nothing: every turn and question comes from the cache file.
    const again = new DiskCachedEmbedder({ inner: new HashEmbedder({ dimensions: 64 }), dir: cacheDir });
    expect(again.size).toBeGreaterThanOrEqual(run.turns);
    const rerun = await runRecall({
      dataset,
      embedder: again,
      configs: CONFIGS,
      embeddedTexts: () => again.misses,
    });
    expect(again.misses).toBe(0);
    expect(rerun.configs.map((c) => c.overall)).toEqual(run.configs.map((c) => c.overall));
    const table = recallTable(run);
    for (const c of CONFIGS) expect(table).toContain(c.name);
    const svg = recallChart(run);
    expect(svg.startsWith("<svg")).toBe(true);
    // One bar per configuration and series (overall + 5 categories).
    expect(svg.match(/<rect x=/g)?.length).toBe(CONFIGS.length * 6 + 6);
  });

  const realtalk = process.env.REALTALK_DIR ?? join(import.meta.dirname, "../../../shared/data/realtalk");
  it.skipIf(!existsSync(realtalk))("scores one REALTALK chat", async () => {
    const dataset = loadDataset(realtalk, { limit: 1 });
    const run = await runRecall({
      dataset,
      embedder: new HashEmbedder({ dimensions: 64 }),
      configs: CONFIGS,
    });
    expect(run.format).toBe("realtalk");
    expect(run.turns).toBeGreaterThan(100);
    expect(run.questions).toBeGreaterThan(10);
    checkRun(run, ["inference", "multi-hop", "temporal"]);
    expect(run.configs[0]!.overall.recall[20]).toBeGreaterThan(0);
  });
});
