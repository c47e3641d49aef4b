import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cosine } from "../util/vectors.js";
import { VectorSketch } from "./vector-sketch.js";

const vector = (d: number) =>
  fc
    .array(fc.float({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true }), {
      minLength: d,
      maxLength: d,
    })
    .map((xs) => Float32Array.from(xs));

describe("VectorSketch", () => {
  it("brackets the exact cosine similarity for any vector and query", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 48 }).chain((d) => fc.tuple(vector(d), vector(d))),
        ([v, q]) => {
          const sketch = new VectorSketch(v.length);
          sketch.set(7, v);
          const b = sketch.bounds(sketch.query(q), 7)!;
          const exact = cosine(v, q);
          expect(b.lo).toBeLessThanOrEqual(exact);
          expect(b.hi).toBeGreaterThanOrEqual(exact);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("is tight on realistic vectors: within 0.02 at 512-d", () => {
    const d = 512;
    let seed = 1;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31 - 0.5;
    };
    const sketch = new VectorSketch(d);
    const q = Float32Array.from({ length: d }, rand);
    const sq = sketch.query(q);
    for (let seq = 0; seq < 200; seq++) {
      const v = Float32Array.from({ length: d }, rand);
      sketch.set(seq, v);
      const b = sketch.bounds(sq, seq)!;
      const exact = cosine(v, q);
      expect(b.lo).toBeLessThanOrEqual(exact);
      expect(b.hi).toBeGreaterThanOrEqual(exact);
      expect(b.hi - b.lo).toBeLessThan(0.02);
    }
  });

  it("keeps a zero vector at similarity 0 and replaces a re-sketched vector", () => {
    const sketch = new VectorSketch(4);
    const q = sketch.query(Float32Array.from([1, 0, 0, 0]));
    sketch.set(1, new Float32Array(4));
    const zero = sketch.bounds(q, 1)!;
    expect(zero.lo).toBeLessThanOrEqual(0);
    expect(zero.hi).toBeGreaterThanOrEqual(0);
    expect(zero.hi - zero.lo).toBeLessThan(1e-5);
    sketch.set(1, Float32Array.from([2, 0, 0, 0]));
    expect(sketch.bounds(q, 1)!.lo).toBeGreaterThan(0.99);
    expect(sketch.size).toBe(1);
  });

  it("tracks membership, drops vectors of another dimension, and frees emptied chunks", () => {
    const sketch = new VectorSketch(3);
    const v = Float32Array.from([1, 2, 3]);
    for (const seq of [0, 5, 1023, 1024, 5000]) sketch.set(seq, v);
    expect(sketch.size).toBe(5);
    expect(sketch.bytes).toBe(3 * 1024 * (3 + 12));
    expect(sketch.has(1024)).toBe(true);
    expect(sketch.has(6)).toBe(false);
    expect(sketch.bounds(sketch.query(v), 6)).toBeNull();
    sketch.set(5, Float32Array.from([1, 2]));
    expect(sketch.has(5)).toBe(false);
    expect(sketch.set(7, Float32Array.from([1, Number.NaN, 3]))).toBe(false);
    expect(sketch.has(7)).toBe(false);
    sketch.delete(1024);
    sketch.delete(1024);
    expect(sketch.size).toBe(3);
    expect(sketch.bytes).toBe(2 * 1024 * (3 + 12));
    sketch.clear();
    expect(sketch.size).toBe(0);
    expect(sketch.bytes).toBe(0);
  });

  it("adds no chunk past maxBytes, and takes vectors again once a chunk is freed", () => {
    const chunkBytes = 1024 * (4 + 12);
    const sketch = new VectorSketch(4, { maxBytes: 2 * chunkBytes });
    const v = Float32Array.from([1, 2, 3, 4]);
    expect(sketch.set(1, v)).toBe(true);
    expect(sketch.set(1500, v)).toBe(true);
    expect(sketch.set(1501, v)).toBe(true); // same chunk as 1500
    expect(sketch.set(5000, v)).toBe(false);
    expect(sketch.has(5000)).toBe(false);
    expect(sketch.bytes).toBe(2 * chunkBytes);
    sketch.delete(1);
    expect(sketch.set(5000, v)).toBe(true);
    expect(sketch.size).toBe(3);
  });

  it("merges another sketch's entries it lacks and is allowed to keep, whole chunks or slot by slot", () => {
    const d = 8;
    const v = (x: number) => Float32Array.from({ length: d }, (_, i) => Math.sin(x * (i + 1)));
    const mine = new VectorSketch(d);
    const theirs = new VectorSketch(d);
    // Chunk 0 both hold (slot by slot), chunk 2 only theirs (taken whole), chunk 5 only mine.
    for (const seq of [1, 2, 3, 2048, 2049, 2050]) theirs.set(seq, v(seq));
    mine.set(2, v(1000)); // mine is newer for seq 2: kept
    mine.set(5 * 1024, v(5));
    const steps = [...mine.mergeSteps(theirs, (seq) => seq !== 3 && seq !== 2050)];
    expect(steps.length).toBe(0); // fewer than 16 chunks: one step
    const q = mine.query(v(7));
    const exact = (seq: number, x: number) => {
      const one = new VectorSketch(d);
      one.set(seq, v(x));
      return one.bounds(one.query(v(7)), seq);
    };
    expect(mine.bounds(q, 1)).toEqual(exact(1, 1));
    expect(mine.bounds(q, 2)).toEqual(exact(2, 1000));
    expect(mine.has(3)).toBe(false);
    expect(mine.bounds(q, 2049)).toEqual(exact(2049, 2049));
    expect(mine.has(2050)).toBe(false);
    expect(mine.size).toBe(5); // 1, 2, 2048, 2049, 5120
    expect(theirs.size).toBe(0);
    for (const seq of [1, 2, 2048, 2049, 5120]) mine.delete(seq);
    expect(mine.size).toBe(0);
    expect(mine.bytes).toBe(0);
    // At the cap nothing more is taken.
    const capped = new VectorSketch(d, { maxBytes: 1024 * (d + 12) });
    capped.set(1, v(1));
    const other = new VectorSketch(d);
    other.set(4096, v(2));
    for (const _ of capped.mergeSteps(other, () => true));
    expect(capped.has(4096)).toBe(false);
  });
});
