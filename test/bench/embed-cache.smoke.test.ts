/**
 * Smoke test of the embedding-cache benchmark on the tiny LoCoMo fixture with the hash embedder:
 * the cached engine embeds each distinct question once, the other every time, and both return the
 * same results. Speed is never asserted.
 */
import { join } from "node:path";
import { HashEmbedder } from "@loci/engine";
import { describe, expect, it } from "vitest";
import { embedCacheChart, embedCacheSummary, embedCacheTable, runEmbedCache } from "./embed-cache-run.js";
import { loadDataset } from "./recall/datasets.js";

describe("embedding-cache benchmark (smoke)", () => {
  it("asks each question several times on both engines and compares them", async () => {
    const dataset = loadDataset(join(import.meta.dirname, "recall", "fixtures", "locomo-tiny.json"));
    const r = await runEmbedCache({ dataset, embedder: new HashEmbedder({ dimensions: 64 }), repeats: 3 });
    expect(r.questions).toBeGreaterThan(1);
    expect(r.cached.searches).toBe(r.questions * 3);
    expect(r.uncached.searches).toBe(r.questions * 3);
    expect(r.cached.embedded).toBe(r.questions);
    expect(r.uncached.embedded).toBe(r.questions * 3);
    expect(r.identical).toBe(1);
    expect(embedCacheTable(r)).toContain("embeddingCache: false");
    expect(embedCacheSummary(r)).toMatch(/same results in 100\.0 % of searches/);
    expect(embedCacheChart(r)).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
  });
});
