/**
 * Smoke test of the memory benchmark at a tiny size: every stage is sampled in order, the graph has
 * caught up by the "indexed" sample, and every reading is a real one. Sizes are compared
 * only with each other, never with a fixed figure.
 */
import { describe, expect, it } from "vitest";
import { memoryChart, memoryTable, runMemory } from "./memory-run.js";

describe("memory benchmark (smoke)", () => {
  it("samples memory while adding, once indexed, settled and closed", async () => {
    const r = await runMemory({ size: 2500, dims: 16, every: 1000, batch: 500, settleMs: 10 });
    expect(r.samples.map((s) => s.stage)).toEqual([
      "empty",
      "adding",
      "adding",
      "added",
      "indexed",
      "settled",
      "closed",
    ]);
    expect(r.samples.map((s) => s.memories)).toEqual([0, 1000, 2000, 2500, 2500, 2500, 2500]);
    const indexed = r.samples.find((s) => s.stage === "indexed")!;
    expect(indexed.pendingVectors).toBe(0);
    for (const s of r.samples) {
      expect(s.rss).toBeGreaterThan(0);
      expect(s.maxRss).toBeGreaterThanOrEqual(s.rss * 0.99);
    }
    const seconds = r.samples.map((s) => s.seconds);
    expect([...seconds].sort((a, b) => a - b)).toEqual(seconds);
    expect(memoryTable(r)).toContain("| indexed");
    expect(memoryChart(r)).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
  });
});
