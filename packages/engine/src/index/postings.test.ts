import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PostingList } from "./postings.js";

describe("PostingList.seek", () => {
  it("finds the first posting at or after the cursor whose label is at least the target", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat(5_000), { maxLength: 400 }),
        fc.array(fc.nat(5_100), { maxLength: 60 }),
        fc.nat(400),
        (raw, targets, start) => {
          const list = new PostingList();
          const labels = [...raw].sort((a, b) => a - b);
          for (const l of labels) list.add(l, 1, 1);
          const from = Math.min(start, labels.length);
          const reference = (label: number, at: number) => {
            let i = at;
            while (i < labels.length && labels[i]! < label) i++;
            return i;
          };
          // Arbitrary targets from a fixed cursor, and an increasing walk moving the cursor.
          for (const t of targets) expect(list.seek(t, from)).toBe(reference(t, from));
          let cursor = 0;
          for (const t of [...targets].sort((a, b) => a - b)) {
            const at = list.seek(t, cursor);
            expect(at).toBe(reference(t, cursor));
            cursor = at;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("stays in bounds on an empty list and past the end", () => {
    const list = new PostingList();
    expect(list.seek(3, 0)).toBe(0);
    for (const l of [1, 5, 9]) list.add(l, 1, 1);
    expect(list.seek(10, 0)).toBe(3);
    expect(list.seek(1, 3)).toBe(3);
    expect(list.seek(5, 1)).toBe(1);
    expect(list.seek(6, 0)).toBe(2);
  });
});
