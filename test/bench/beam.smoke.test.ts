/** Smoke test of the beam sweep at a tiny size: it produces sane recall figures and writes its JSON. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runBeamSweep } from "./beam-run.js";

const out = mkdtempSync(join(tmpdir(), "loci-beam-smoke-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("beam sweep (smoke)", () => {
  it("measures recall@10 per beam against the exact top 10, and writes it", () => {
    const { rows, files } = runBeamSweep({
      size: 3000,
      beams: [10, 200],
      queries: 20,
      outDir: out,
      log: () => {},
    });
    expect(rows.map((r) => r.beam)).toEqual([10, 200]);
    for (const r of rows) {
      expect(r.recall).toBeGreaterThan(0);
      expect(r.recall).toBeLessThanOrEqual(1);
      expect(r.msPerQuery).toBeGreaterThan(0);
    }
    // A 200-wide beam over 3,000 vectors is all but exact, and never worse than a 10-wide one.
    expect(rows[1]!.recall).toBeGreaterThan(0.95);
    expect(rows[1]!.recall).toBeGreaterThanOrEqual(rows[0]!.recall);
    expect(files.map((f) => f.split("/").pop())).toEqual(["beam-3000.json"]);
    expect(existsSync(files[0]!)).toBe(true);
    const json = JSON.parse(readFileSync(files[0]!, "utf8")) as { rows: unknown[]; meta: { size: number } };
    expect(json.meta.size).toBe(3000);
    expect(json.rows).toHaveLength(2);
  });

  it("builds the graph with the given M and efConstruction, and names its results by them", () => {
    const { rows, files } = runBeamSweep({
      size: 2000,
      beams: [10],
      queries: 10,
      m: 8,
      efConstruction: 40,
      outDir: out,
      log: () => {},
    });
    expect(rows).toHaveLength(1);
    expect(files.map((f) => f.split("/").pop())).toEqual(["beam-2000-m8-efc40.json"]);
    const json = JSON.parse(readFileSync(files[0]!, "utf8")) as {
      meta: { m: number; efConstruction: number };
    };
    expect(json.meta).toMatchObject({ m: 8, efConstruction: 40 });
  });
});
