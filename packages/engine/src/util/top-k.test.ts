import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TopK } from "./top-k.js";

describe("TopK", () => {
  it("keeps the best k (higher score, then lower label), as a full sort would", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(1000), fc.integer({ min: 0, max: 20 })), { maxLength: 200 }),
        fc.nat(30),
        (entries, k) => {
          const top = new TopK(k);
          for (const [label, score] of entries) top.push(label, score);
          const want = entries
            .map(([label, score]) => ({ label, score }))
            .sort((a, b) => b.score - a.score || a.label - b.label)
            .slice(0, k);
          expect(top.sorted()).toEqual(want);
          const threshold =
            k === 0
              ? Number.POSITIVE_INFINITY
              : want.length < k
                ? Number.NEGATIVE_INFINITY
                : want[k - 1]!.score;
          expect(top.threshold).toBe(threshold);
        },
      ),
    );
  });
});
