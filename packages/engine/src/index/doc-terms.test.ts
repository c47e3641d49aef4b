import { describe, expect, it } from "vitest";
import { seededRandom } from "../util/random.js";
import { DocTermTable } from "./doc-terms.js";

describe("DocTermTable", () => {
  it("keeps every live document's length and term ids through replacements, removals and compaction", () => {
    const table = new DocTermTable();
    const want = new Map<number, { length: number; ids: number[] }>();
    const random = seededRandom(11);
    // Enough churn that the arena grows, fills with holes and compacts several times.
    for (let step = 0; step < 120_000; step++) {
      const label = Math.floor(random() * 30_000);
      if (random() < 0.3) {
        const ids = table.delete(label);
        expect([...ids]).toEqual(want.get(label)?.ids ?? []);
        want.delete(label);
      } else {
        const ids = Array.from({ length: Math.floor(random() * 6) }, () => Math.floor(random() * 1e6));
        const length = ids.length + Math.floor(random() * 5);
        table.set(label, length, ids);
        want.set(label, { length, ids });
      }
    }
    expect(table.size).toBe(want.size);
    for (const [label, { length, ids }] of want) {
      expect(table.length(label)).toBe(length);
      expect(table.has(label)).toBe(true);
      expect([...table.delete(label)]).toEqual(ids);
    }
    expect(table.size).toBe(0);
    expect(table.length(1)).toBeUndefined();
  });
});
