import { describe, expect, it } from "vitest";
import { Bm25Index } from "./bm25.js";
import { tokenize } from "./tokenize.js";

describe("tokenize", () => {
  it("lower-cases, splits on non-alphanumerics, drops stop words, keeps numbers and non-Latin letters", () => {
    expect(tokenize("The Customer cust_42 is ANGRY about Straße-billing in 北京!")).toEqual([
      "customer",
      "cust",
      "42",
      "angry",
      "about",
      "straße",
      "billing",
      "北京",
    ]);
    expect(tokenize("   ")).toEqual([]);
  });
});

describe("Bm25Index", () => {
  const docs = [
    "refund request for a double charge on the invoice",
    "invoice invoice invoice invoice numbering restarts each fiscal year",
    "password reset link expired",
    "the customer asked about the enterprise plan",
    "charge dispute opened by the bank",
  ];

  function build(): Bm25Index {
    const idx = new Bm25Index();
    docs.forEach((d, i) => {
      idx.upsert(i + 1, d);
    });
    return idx;
  }

  it("scores with Okapi BM25 (k1 = 1.2, b = 0.75), matching a hand computation", () => {
    const idx = build();
    // "password": df = 1, N = 5 -> idf = ln(1 + (5 - 1 + 0.5) / 1.5) = ln 4
    const lengths = docs.map((d) => tokenize(d).length);
    const avgdl = lengths.reduce((a, b) => a + b, 0) / lengths.length;
    const len = lengths[2]!;
    const expected = (Math.log(4) * 1 * 2.2) / (1 + 1.2 * (1 - 0.75 + (0.75 * len) / avgdl));
    const [hit] = idx.search("password", 5);
    expect(hit!.label).toBe(3);
    expect(hit!.score).toBeCloseTo(expected, 10);
    expect(idx.score("password", [3]).get(3)).toBeCloseTo(expected, 10);
  });

  it("ranks by term frequency saturation and IDF, OR-matching any term", () => {
    const idx = build();
    const hits = idx.search("invoice charge", 10);
    expect(hits.map((h) => h.label).sort()).toEqual([1, 2, 5]);
    // doc 1 holds both terms and beats docs holding one
    expect(hits[0]!.label).toBe(1);
    expect(idx.search("nothing matches this", 5)).toEqual([]);
  });

  it("honours filters, k, removals and re-indexing", () => {
    const idx = build();
    expect(idx.search("invoice charge", 10, (l) => l !== 1).map((h) => h.label)).not.toContain(1);
    expect(idx.search("invoice charge", 1)).toHaveLength(1);
    idx.remove(1);
    expect(idx.search("refund", 5)).toEqual([]);
    expect(idx.size).toBe(4);
    idx.upsert(3, "refund issued");
    expect(idx.search("password", 5)).toEqual([]);
    expect(idx.search("refund", 5).map((h) => h.label)).toEqual([3]);
  });

  it("searchAmong scores exactly over an explicit set", () => {
    const idx = build();
    expect(
      idx
        .searchAmong("invoice charge", 10, [2, 5])
        .map((h) => h.label)
        .sort(),
    ).toEqual([2, 5]);
    expect(idx.searchAmong("invoice", 10, [3, 4])).toEqual([]);
  });
});
