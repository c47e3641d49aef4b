import { describe, expect, it } from "vitest";
import { parseTimeExpressions, timeScore } from "./time-expressions.js";

// Wednesday 10 January 2024, 15:00 UTC.
const REF = Date.UTC(2024, 0, 10, 15);
const DAY = 86_400_000;
const day = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d);

function only(query: string, ref = REF) {
  const { ranges, rest } = parseTimeExpressions(query, ref);
  expect(ranges, query).toHaveLength(1);
  return { ...ranges[0]!, rest };
}

describe("parseTimeExpressions", () => {
  it("reads explicit dates in the common English forms", () => {
    for (const q of [
      "What did Kate cook on 29 Dec 2023?",
      "what happened on the 29th of December, 2023",
      "plans for December 29th, 2023",
      "Dec 29 2023 standup notes",
      "deploy log 2023-12-29",
    ]) {
      const r = only(q);
      expect([r.start, r.end], q).toEqual([day(2023, 12, 29), day(2023, 12, 30)]);
    }
  });

  it("takes the occurrence nearest the reference time for a date without a year", () => {
    expect(only("on Dec 29").start).toBe(day(2023, 12, 29));
    expect(only("on 12 January").start).toBe(day(2024, 1, 12));
  });

  it("reads months and years, and `may` only when it is clearly the month", () => {
    expect([only("in May").start, only("in May").end]).toEqual([day(2024, 5, 1), day(2024, 6, 1)]);
    expect(only("sales in January 2023").start).toBe(day(2023, 1, 1));
    expect(only("what changed in October?").start).toBe(day(2023, 10, 1));
    expect(parseTimeExpressions("we may ship it", REF).ranges).toEqual([]);
    expect(parseTimeExpressions("march on", REF).ranges).toEqual([]);
    const y = only("What football match did Kevin watch in 2017?");
    expect([y.start, y.end]).toEqual([day(2017, 1, 1), day(2018, 1, 1)]);
  });

  it("resolves relative expressions against the reference time (UTC, weeks from Monday)", () => {
    const at = (q: string) => {
      const r = only(q);
      return [r.start, r.end];
    };
    expect(at("what did I do yesterday")).toEqual([day(2024, 1, 9), day(2024, 1, 10)]);
    expect(at("notes from today")).toEqual([day(2024, 1, 10), day(2024, 1, 11)]);
    expect(at("2 days ago")).toEqual([day(2024, 1, 8), day(2024, 1, 9)]);
    expect(at("three days ago")).toEqual([day(2024, 1, 7), day(2024, 1, 8)]);
    expect(at("last week")).toEqual([day(2024, 1, 1), day(2024, 1, 8)]);
    expect(at("this week")).toEqual([day(2024, 1, 8), day(2024, 1, 15)]);
    expect(at("last weekend")).toEqual([day(2024, 1, 6), day(2024, 1, 8)]);
    expect(at("last month")).toEqual([day(2023, 12, 1), day(2024, 1, 1)]);
    expect(at("last year")).toEqual([day(2023, 1, 1), day(2024, 1, 1)]);
    expect(at("last Monday")).toEqual([day(2024, 1, 8), day(2024, 1, 9)]);
    expect(at("on Wednesday")).toEqual([day(2024, 1, 3), day(2024, 1, 4)]);
    expect(at("the past 3 days")).toEqual([REF - 3 * DAY, REF]);
  });

  it("opens the range with before / after / since", () => {
    const before = only("Did Vanessa take the test before December 23rd, 2023?");
    expect(before.end).toBe(day(2023, 12, 23));
    expect(before.start).toBeLessThan(day(1900, 1, 1));
    const since = only("everything since 5 Jan 2024");
    expect(since.start).toBe(day(2024, 1, 6));
    expect(since.end).toBeGreaterThan(day(3000, 1, 1));
  });

  it("removes the expressions from the rest of the query and finds several", () => {
    const { ranges, rest } = parseTimeExpressions("invoices from 3 Jan 2024 and yesterday", REF);
    expect(ranges.map((r) => r.text)).toEqual(["3 Jan 2024", "yesterday"]);
    expect(rest).toBe("invoices from and");
    expect(parseTimeExpressions("INV-2291 for cust_42", REF)).toEqual({
      ranges: [],
      rest: "INV-2291 for cust_42",
    });
    // An impossible day falls back to the month it names.
    expect(parseTimeExpressions("31 February 2024", REF).ranges.map((r) => r.start)).toEqual([
      day(2024, 2, 1),
    ]);
  });
});

describe("timeScore", () => {
  const range = { start: day(2024, 1, 5), end: day(2024, 1, 6), text: "5 Jan 2024" };
  it("is 1 inside a range and halves per half-life outside (at least a day)", () => {
    expect(timeScore(day(2024, 1, 5) + 3_600_000, [range])).toBe(1);
    expect(timeScore(day(2024, 1, 7), [range])).toBeCloseTo(0.5, 12);
    expect(timeScore(day(2024, 1, 3), [range])).toBeCloseTo(0.25, 12);
    const month = { start: day(2024, 1, 1), end: day(2024, 2, 1), text: "January" };
    // A 31-day range decays with a half-life of 31/4 days.
    expect(timeScore(day(2024, 2, 1) + 7.75 * DAY, [month])).toBeCloseTo(0.5, 12);
    expect(timeScore(day(2024, 3, 1), [range, month])).toBeGreaterThan(timeScore(day(2024, 3, 1), [range]));
  });
});
