/**
 * Smoke test of the sentence-vector backfill benchmark on the tiny LoCoMo fixture with the hash
 * embedder: the backfill embeds the sentences the option would have embedded at ingest, and the
 * backfilled namespace answers every question exactly like the one written with the option. Speed is
 * never asserted.
 */
import { join } from "node:path";
import { HashEmbedder } from "@loci/engine";
import { describe, expect, it } from "vitest";
import { backfillChart, backfillSummary, backfillTable, runBackfill } from "./backfill-run.js";
import { loadDataset } from "./recall/datasets.js";

describe("sentence-vector backfill benchmark (smoke)", () => {
  it("backfills a conversation and finds the same top 20 as with the option from the start", async () => {
    const dataset = loadDataset(join(import.meta.dirname, "recall", "fixtures", "locomo-tiny.json"));
    const r = await runBackfill({
      dataset,
      embedder: new HashEmbedder({ dimensions: 64 }),
      conversations: 2,
    });
    expect(r.memories).toBe(dataset.conversations.slice(0, 2).reduce((n, c) => n + c.turns.length, 0));
    expect(r.without.embedded).toBe(r.memories);
    const sentences = r.withOption.embedded - r.memories;
    expect(sentences).toBeGreaterThan(0);
    // The backfill embeds the same sentences, plus each multi-sentence memory's whole text once.
    expect(r.backfill.embedded).toBeGreaterThan(sentences);
    expect(r.backfill.embedded).toBeLessThan(2 * sentences);
    expect(r.questions).toBeGreaterThan(1);
    expect(r.identical).toBe(1);
    expect(r.maxScoreDiff).toBeLessThan(1e-9); // the hash embedder is batch-invariant
    expect(backfillTable(r)).toContain("then switched on: backfill");
    expect(backfillSummary(r)).toMatch(
      /same top 20 \(memories in the same order, scores within 0\.0001\) for 100\.0 %/,
    );
    expect(backfillChart(r)).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
  });
});
