import { describe, expect, it } from "vitest";
import { FIRST_SLAB, PendingVectors } from "./pending-vectors.js";

function vec(seed: number, dims: number): Float32Array {
  const v = new Float32Array(dims);
  for (let i = 0; i < dims; i++) v[i] = Math.sin(seed * 7.3 + i * 1.9) * (1 + (seed % 5));
  return v;
}

function unitOf(v: Float32Array): Float32Array {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

describe("PendingVectors", () => {
  it("keeps unit copies by label, oldest first, across slabs; an overwrite keeps its place", () => {
    const table = new PendingVectors(6);
    const n = FIRST_SLAB * 7 + 5; // past the first three slabs
    for (let label = 0; label < n; label++) table.set(label * 3, vec(label, 6));
    expect(table.size).toBe(n);
    expect([...table.labels()].slice(0, 3)).toEqual([0, 3, 6]);
    for (const label of [0, 3 * 64, 3 * (n - 1)]) {
      const got = table.get(label)!;
      const want = unitOf(vec(label / 3, 6));
      for (let i = 0; i < 6; i++) expect(got[i]).toBeCloseTo(want[i]!, 6);
    }
    const source = vec(99, 6);
    table.set(3, source);
    source[0] = 1000; // stored as a copy
    expect(table.get(3)![0]).toBeCloseTo(unitOf(vec(99, 6))[0]!, 6);
    expect([...table.labels()].slice(0, 2)).toEqual([0, 3]);
    expect(table.oldest()).toBe(0);
    expect(table.get(1)).toBeUndefined();
  });

  it("scores a query against one label or all of them, and returns plain arrays", () => {
    const table = new PendingVectors(4);
    for (let label = 1; label <= 200; label++) table.set(label, vec(label, 4));
    const q = unitOf(vec(7, 4));
    const dots = new Map<number, number>();
    table.forEachDot(q, (label, dot) => dots.set(label, dot));
    expect(dots.size).toBe(200);
    expect(dots.get(7)).toBeCloseTo(1, 5);
    for (const label of [1, 64, 65, 200]) {
      const u = unitOf(vec(label, 4));
      const want = u.reduce((s, x, i) => s + x * q[i]!, 0);
      expect(dots.get(label)).toBeCloseTo(want, 5);
      expect(table.dot(label, q)).toBeCloseTo(want, 5);
    }
    expect(table.dot(999, q)).toBeUndefined();
    const plain = table.plain(7)!;
    expect(Array.isArray(plain)).toBe(true);
    expect(plain).toHaveLength(4);
    expect(plain[0]).toBeCloseTo(q[0]!, 5);
  });

  it("reuses freed slots under churn and lets every slab go once empty", () => {
    const table = new PendingVectors(8);
    for (let label = 0; label < 1000; label++) table.set(label, vec(label, 8));
    const capacity = table.capacity;
    expect(capacity).toBeGreaterThanOrEqual(1000 * 8);
    // First in, first out, as the graph takes them: the table stays the same size.
    for (let label = 1000; label < 20_000; label++) {
      expect(table.delete(table.oldest()!)).toBe(true);
      table.set(label, vec(label, 8));
    }
    expect(table.size).toBe(1000);
    expect(table.capacity).toBe(capacity);
    expect(table.get(19_999)![0]).toBeCloseTo(unitOf(vec(19_999, 8))[0]!, 6);
    expect(table.delete(5)).toBe(false);
    for (const label of [...table.labels()]) table.delete(label);
    expect(table.size).toBe(0);
    expect(table.capacity).toBe(0);
    expect(table.oldest()).toBeUndefined();
  });

  it("keeps a zero vector as it is and refuses one of other dimensions", () => {
    const table = new PendingVectors(3);
    table.set(1, new Float32Array(3));
    expect([...table.get(1)!]).toEqual([0, 0, 0]);
    expect(() => table.set(2, new Float32Array(4))).toThrow(RangeError);
    expect(table.has(2)).toBe(false);
  });
});
