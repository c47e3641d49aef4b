import fc from "fast-check";
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

  it("exports its records compactly and a restored table holds the same ones, with or without holes", async () => {
    for (const holes of [false, true]) {
      const table = new DocTermTable();
      const random = seededRandom(holes ? 3 : 4);
      const want = new Map<number, number[]>();
      for (let label = 0; label < 5_000; label++) {
        const ids = Array.from({ length: 1 + Math.floor(random() * 5) }, () => Math.floor(random() * 1e5));
        table.set(label, ids.length + 1, ids);
        want.set(label, ids);
      }
      if (holes)
        for (let label = 0; label < 5_000; label += 3) {
          table.delete(label);
          want.delete(label);
        }
      const state = table.state();
      // Compact: the arena holds exactly the live records.
      const cells = [...want.values()].reduce((n, ids) => n + 2 + ids.length, 0);
      expect(state.arena.length).toBe(cells);
      const restored = await DocTermTable.restore(state);
      expect(restored.size).toBe(want.size);
      expect([...restored.labels()].sort((a, b) => a - b)).toEqual([...want.keys()]);
      for (const [label, ids] of want) {
        expect(restored.length(label)).toBe(ids.length + 1);
        expect([...restored.delete(label)]).toEqual(ids);
      }
      // It keeps working after the restore (appends reallocate the taken-over arena).
      restored.set(9_999, 3, [7, 8]);
      expect([...restored.delete(9_999)]).toEqual([7, 8]);
    }
  });

  it("refuses a state whose offsets point outside the arena", async () => {
    const table = new DocTermTable();
    table.set(1, 2, [5, 6]);
    const state = table.state();
    state.offsets[0] = 3;
    await expect(DocTermTable.restore(state)).rejects.toThrow(RangeError);
  });
});

describe("DocTermTable.freeze", () => {
  /** Random changes: sets of existing or new labels, deletions, enough to compact the arena now and then. */
  const change = (table: DocTermTable, random: () => number, labels: number) => {
    const label = Math.floor(random() * labels);
    if (random() < 0.35) table.delete(label);
    else {
      const ids = Array.from({ length: Math.floor(random() * 5) }, () => Math.floor(random() * 1e5));
      table.set(label, ids.length + 2, ids);
    }
  };
  const records = (state: { labels: Uint32Array; offsets: Uint32Array; arena: Uint32Array }) =>
    new Map(
      [...state.labels].map((label, i) => {
        const at = state.offsets[i]!;
        return [label, [...state.arena.subarray(at, at + 2 + state.arena[at + 1]!)]];
      }),
    );

  it("copies out the records as they were at the freeze while the table changes between every step", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 40_000 }), (seed, size) => {
        const random = seededRandom(seed);
        const table = new DocTermTable();
        const labels = Math.max(10, Math.floor(size * 1.2));
        for (let i = 0; i < size; i++) change(table, random, labels);
        const want = records(table.state());
        const frozen = table.freeze();
        const dst = {
          labels: new Uint32Array(frozen.size),
          offsets: new Uint32Array(frozen.size),
          arena: new Uint32Array(frozen.liveLength),
        };
        // Between steps: a burst of changes (many of them to labels already copied, or not yet collected).
        for (const _ of frozen.copySteps(dst)) for (let i = 0; i < 3_000; i++) change(table, random, labels);
        frozen.release();
        expect(records(dst)).toEqual(want);
        expect(new Set(dst.labels).size).toBe(dst.labels.length);
      }),
      { numRuns: 25 },
    );
  });

  it("stops keeping records once released", () => {
    const table = new DocTermTable();
    for (let label = 0; label < 100; label++) table.set(label, 3, [label]);
    const frozen = table.freeze();
    frozen.release();
    for (let label = 0; label < 100; label++) table.delete(label);
    const dst = { labels: new Uint32Array(100), offsets: new Uint32Array(100), arena: new Uint32Array(300) };
    // Released: the changes were not kept, so the frozen records can no longer be produced.
    expect(() => [...frozen.copySteps(dst)]).toThrow(RangeError);
  });
});
