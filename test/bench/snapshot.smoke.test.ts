/**
 * Smoke test of the snapshot-stall benchmark at a tiny size: both ways are measured and the report is
 * written. Speed is never asserted.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runSnapshotStall } from "./snapshot-run.js";

describe("snapshot stall benchmark (smoke)", () => {
  it("measures a 500-vector snapshot written both ways", async () => {
    const outDir = mkdtempSync(join(tmpdir(), "loci-bench-snapshot-out-"));
    try {
      const lines: string[] = [];
      const { result, files } = await runSnapshotStall({
        size: 500,
        dimensions: 64,
        repeats: 2,
        outDir,
        log: (l) => lines.push(l),
      });
      expect(result.rows.map((r) => r.runs.length)).toEqual([2, 2, 2]);
      for (const row of result.rows) for (const run of row.runs) expect(run.totalMs).toBeGreaterThan(0);
      expect(lines.join("\n")).toContain("| engine close, writing the snapshot (now)");
      expect(JSON.parse(readFileSync(files[0]!, "utf8"))).toMatchObject({ size: 500, dimensions: 64 });
      expect(readFileSync(files[1]!, "utf8")).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});
