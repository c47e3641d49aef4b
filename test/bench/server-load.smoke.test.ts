/**
 * Smoke test of the server load benchmark at a tiny size: `loci serve` starts as a child process on
 * 127.0.0.1, is preloaded, and autocannon's runs all succeed with no errors. Speed is never asserted.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runServerLoad } from "./server-load-run.js";

const out = mkdtempSync(join(tmpdir(), "loci-load-smoke-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("server load benchmark (smoke)", () => {
  it("drives searches and adds against loci serve and writes JSON and SVG results", async () => {
    const { rows, files } = await runServerLoad({
      size: 1000,
      concurrency: [1, 4],
      duration: 1,
      realEmbedder: null,
      outDir: out,
      log: () => {},
    });
    expect(rows.map((r) => `${r.op}@${r.concurrency}`)).toEqual([
      "search@1",
      "search@4",
      "add@1",
      "add@4",
      "get@4",
    ]);
    for (const r of rows) {
      expect(r.errors, `${r.op}@${r.concurrency}`).toBe(0);
      expect(r.requests).toBeGreaterThan(0);
      expect(r.p99).toBeGreaterThanOrEqual(r.p50);
    }
    // Searches cycle through 500 query texts: the first asking of each is embedded, repeats are not.
    const search = rows.filter((r) => r.op === "search");
    for (const r of search) {
      expect(r.cacheHits).toBeGreaterThanOrEqual(0);
      expect(r.cacheHits).toBeLessThanOrEqual(1);
    }
    expect(rows.find((r) => r.op === "get")!.cacheHits).toBeNull();
    for (const f of files) expect(existsSync(f)).toBe(true);
    expect(JSON.parse(readFileSync(files[0]!, "utf8")).rows).toHaveLength(5);
  }, 120_000);
});
