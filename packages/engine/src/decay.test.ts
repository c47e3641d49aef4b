import { describe, expect, it } from "vitest";
import { decayCurve, effectiveHalfLife, recency, retention } from "./decay.js";
import type { DecayStrategy } from "./types.js";

const H = 3_600_000;

describe("decay curves (SPEC §4), against hand-computed values", () => {
  // h = 24: Δ = 0, 12, 24, 36, 48, 72 hours
  it.each<[DecayStrategy, number[]]>([
    ["exponential", [1, Math.SQRT1_2, 0.5, Math.SQRT1_2 / 2, 0.25, 0.125]],
    ["linear", [1, 0.75, 0.5, 0.25, 0, 0]],
    [
      "logarithmic",
      [1, 1 / (1 + Math.log2(1.5)), 0.5, 1 / (1 + Math.log2(2.5)), 1 / (1 + Math.log2(3)), 1 / 3],
    ],
    ["step", [1, 1, 0.5, 0.5, 0.25, 0.125]],
    ["none", [1, 1, 1, 1, 1, 1]],
  ])("%s", (strategy, expected) => {
    const got = [0, 12, 24, 36, 48, 72].map((d) => decayCurve(strategy, d, 24));
    got.forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i]!, 12);
    });
  });

  it("treats negative ages (clock skew) as zero", () => {
    expect(decayCurve("exponential", -5, 24)).toBe(1);
  });

  it("derives the effective half-life from importance: h·2^(2i−1)", () => {
    expect(effectiveHalfLife(24, 0.5)).toBe(24);
    expect(effectiveHalfLife(24, 1)).toBe(48);
    expect(effectiveHalfLife(24, 0)).toBe(12);
    expect(effectiveHalfLife(24, 0.75)).toBeCloseTo(24 * Math.SQRT2, 12);
  });

  it("retention uses the effective half-life and the last reinforcement", () => {
    const base = { strategy: "exponential" as const, halfLifeHours: 24, reinforcedAt: 0, now: 48 * H };
    expect(retention({ ...base, importance: 0.5 })).toBeCloseTo(0.25, 12);
    expect(retention({ ...base, importance: 1 })).toBeCloseTo(0.5, 12);
    expect(retention({ ...base, importance: 0 })).toBeCloseTo(0.0625, 12);
    expect(retention({ ...base, importance: 0.5, reinforcedAt: 24 * H })).toBeCloseTo(0.5, 12);
  });

  it("recency falls back to exponential with 168 h when the namespace has no decay", () => {
    expect(recency({ strategy: "none", halfLifeHours: 24, createdAt: 0, now: 168 * H })).toBeCloseTo(0.5, 12);
    expect(recency({ strategy: "linear", halfLifeHours: 24, createdAt: 0, now: 24 * H })).toBeCloseTo(
      0.5,
      12,
    );
  });
});
