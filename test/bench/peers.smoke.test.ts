/**
 * Smoke test of the peers benchmark at a tiny size: every system runs in its own process and
 * produces sane results, and the JSON and charts are written. Speed is never asserted.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SYSTEMS } from "./peer-systems.js";
import { recallAtK, runPeers } from "./peers-run.js";

const out = mkdtempSync(join(tmpdir(), "loci-peers-smoke-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("peers benchmark (smoke)", () => {
  it("recall@k is the mean share of the true top-k found", () => {
    expect(recallAtK([[1, 2, 3], [9]], [[1, 2, 4], [9]])).toBeCloseTo((2 / 3 + 1) / 2, 10);
    expect(recallAtK([[]], [[5, 6]])).toBe(0);
  });

  it("runs every system on the same data and writes JSON and SVG results", async () => {
    const { rows, files } = await runPeers({
      sizes: [1000],
      queries: 15,
      settleSeconds: 0.2,
      outDir: out,
      log: () => {},
    });
    expect(rows.map((r) => r.system)).toEqual([...SYSTEMS]);
    for (const r of rows) {
      expect(r.skipped, r.system).toBeNull();
      expect(r.recall).toBeGreaterThanOrEqual(0);
      expect(r.recall).toBeLessThanOrEqual(1);
      expect(r.filteredRecall).toBeGreaterThanOrEqual(0);
      expect(r.filteredRecall).toBeLessThanOrEqual(1);
      expect(r.ingestPerSec).toBeGreaterThan(0);
      expect(r.indexedSeconds).toBeGreaterThanOrEqual(r.ingestSeconds!);
      expect(r.search!.p99).toBeGreaterThanOrEqual(r.search!.p50);
      expect(r.rssMiB).toBeGreaterThan(0);
      expect(r.settledRssMiB).toBeGreaterThan(0);
      expect(r.peakRssMiB).toBeGreaterThanOrEqual(Math.max(r.rssMiB!, r.settledRssMiB!) - 1);
    }
    // The exact search is the truth; the others approximate it (1,000 points: HNSW is near exact).
    expect(rows.find((r) => r.system === "exact")!.recall).toBe(1);
    expect(rows.find((r) => r.system === "loci")!.recall).toBeGreaterThan(0.9);
    expect(rows.find((r) => r.system === "langchain")!.reopenMs).toBeNull();
    expect(rows.find((r) => r.system === "loci")!.reopenMs).toBeGreaterThan(0);
    // Loci is also timed against the floor's walk of its own graph, in one process: same top 10.
    const paired = rows.find((r) => r.system === "loci")!.paired!;
    expect(paired.agreement).toBeGreaterThan(0.95);
    expect(paired.ratio).toBeCloseTo(paired.loci.p50 / paired.floor.p50, 10);
    expect(paired.floor.p99).toBeGreaterThanOrEqual(paired.floor.p50);
    expect(rows.filter((r) => r.paired !== null).map((r) => r.system)).toEqual(["loci"]);
    expect(files.map((f) => f.split("/").pop())).toEqual([
      "peers.json",
      "peers-search.svg",
      "peers-ingest.svg",
    ]);
    for (const f of files) expect(existsSync(f)).toBe(true);
    expect(JSON.parse(readFileSync(files[0]!, "utf8")).rows).toHaveLength(SYSTEMS.length);
    expect(readFileSync(files[1]!, "utf8")).toMatch(/^<svg[\s\S]*<rect[\s\S]*<\/svg>\s*$/);
  });

  it("reports a system that runs over its budget as skipped, with what it reached", async () => {
    const { rows } = await runPeers({
      sizes: [3000],
      systems: ["langchain"],
      queries: 5,
      budgetSeconds: 0.5,
      outDir: out,
      log: () => {},
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.skipped).toMatch(/^over budget: > 0\.5 s/);
    expect(rows[0]!.search).toBeNull();
  });
});
