/**
 * Smoke test of the graph-rebuild benchmark at a tiny size: the rebuild completes, every add made
 * during it is found afterwards, and the report is written. Speed is never asserted.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runRebuild } from "./rebuild-run.js";

describe("graph rebuild benchmark (smoke)", () => {
  it("rebuilds a 3,000-memory namespace while searching and adding", async () => {
    const outDir = mkdtempSync(join(tmpdir(), "loci-bench-rebuild-out-"));
    try {
      const lines: string[] = [];
      const { result, files } = await runRebuild({
        size: 3000,
        queries: 20,
        m: 24,
        efConstruction: 120,
        outDir,
        log: (l) => lines.push(l),
      });
      expect(result.phases.map((p) => p.phase)).toEqual(["before", "during", "after"]);
      expect(result.phases[0]!.searches).toBe(20);
      expect(result.phases[1]!.searches).toBeGreaterThan(0);
      // A 3,000-memory graph searched with its size-scaled beam finds nearly all of the exact top 10.
      for (const p of result.phases) expect(p.recall).toBeGreaterThan(0.9);
      expect(result.addsFound).toBe(result.addsDuring);
      expect(lines.join("\n")).toContain("| during");
      const json = JSON.parse(readFileSync(files[0]!, "utf8"));
      expect(json).toMatchObject({ size: 3000, m: 24, efConstruction: 120 });
      expect(readFileSync(files[1]!, "utf8")).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});
