import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isoTime } from "./iso-time.js";

describe("isoTime", () => {
  it("writes what toISOString writes, for any time it accepts", () => {
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => {
        expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
  });

  it("handles the edges: the epoch, leap days, the last fast millisecond, fractions", () => {
    for (const ms of [
      0,
      Date.UTC(2000, 1, 29, 23, 59, 59, 999),
      Date.UTC(2100, 2, 1),
      Date.UTC(1999, 11, 31, 23, 59, 59, 9),
      253_402_300_799_999,
      253_402_300_800_000,
      -1,
      1.5,
    ]) {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it("throws like toISOString for times no Date holds", () => {
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });
});
