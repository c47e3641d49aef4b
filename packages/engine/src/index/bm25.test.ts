import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Bm25Index } from "./bm25.js";
import { ENGLISH_STOP_WORDS, tokenize } from "./tokenize.js";

describe("tokenize", () => {
  it("lower-cases, splits on non-alphanumerics, drops stop words, keeps numbers and non-Latin letters", () => {
    expect(tokenize("The Customer cust_42 is ANGRY about Straße-billing in 北京!", { stem: false })).toEqual([
      "customer",
      "cust",
      "42",
      "angry",
      "straße",
      "billing",
      "北京",
    ]);
    expect(tokenize("   ")).toEqual([]);
  });

  it("stems plain English words but never identifiers, numbers or non-ASCII words", () => {
    expect(tokenize("The Customer cust_42 is ANGRY about Straße-billing in 北京!")).toEqual([
      "custom",
      "cust",
      "42",
      "angri",
      "straße",
      "bill",
      "北京",
    ]);
    // Inflections meet: a query for "hobby" finds "hobbies", "visited" finds "visiting".
    expect(tokenize("hobbies visited")).toEqual(tokenize("hobby visiting"));
    // Identifiers keep their parts: INV-2291, PR #5512, cust_42, v2.3.1, 2023-12-29.
    expect(tokenize("INV-2291 PR #5512 cust_42 v2.3.1 2023-12-29")).toEqual([
      "inv",
      "2291",
      "pr",
      "5512",
      "cust",
      "42",
      "v2",
      "3",
      "1",
      "2023",
      "12",
      "29",
    ]);
  });

  it("drops question words, auxiliaries and contraction fragments by default; the list is replaceable", () => {
    expect(tokenize("What did Kate's friends do when they were home?")).toEqual(["kate", "friend", "home"]);
    expect(tokenize("the server is down", { stopWords: new Set() })).toEqual(["the", "server", "is", "down"]);
    expect(tokenize("the server is down")).toEqual(["server", "down"]);
    expect(ENGLISH_STOP_WORDS.has("not")).toBe(false);
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

  it("scores with Okapi BM25 (default k1 = 0.9, b = 0.4, or as configured), matching a hand computation", () => {
    // "password": df = 1, N = 5 -> idf = ln(1 + (5 - 1 + 0.5) / 1.5) = ln 4
    const lengths = docs.map((d) => tokenize(d).length);
    const avgdl = lengths.reduce((a, b) => a + b, 0) / lengths.length;
    const len = lengths[2]!;
    const bm25 = (k1: number, b: number) =>
      (Math.log(4) * 1 * (k1 + 1)) / (1 + k1 * (1 - b + (b * len) / avgdl));
    const idx = build();
    const [hit] = idx.search("password", 5);
    expect(hit!.label).toBe(3);
    expect(hit!.score).toBeCloseTo(bm25(0.9, 0.4), 10);
    expect(idx.score("password", [3]).get(3)).toBeCloseTo(bm25(0.9, 0.4), 10);
    const classic = new Bm25Index({ k1: 1.2, b: 0.75 });
    docs.forEach((d, i) => {
      classic.upsert(i + 1, d);
    });
    expect(classic.score("password", [3]).get(3)).toBeCloseTo(bm25(1.2, 0.75), 10);
  });

  it("scores passages of several documents as one (summed tf and length)", () => {
    const idx = build();
    const lengths = docs.map((d) => tokenize(d).length);
    const avgdl = lengths.reduce((a, b) => a + b, 0) / lengths.length;
    // "charge": df = 2 -> idf = ln(1 + 3.5 / 2.5); the passage {1, 5} holds it twice.
    const len = lengths[0]! + lengths[4]!;
    const idf = Math.log(1 + 3.5 / 2.5);
    const expected = (idf * 2 * 1.9) / (2 + 0.9 * (1 - 0.4 + (0.4 * len) / (avgdl * 2)));
    const scores = idx.scorePassages(
      "charge",
      new Map([
        [1, [1, 5]],
        [3, [3]],
        [4, [4, 3]],
      ]),
      2,
    );
    expect(scores.get(1)).toBeCloseTo(expected, 10);
    expect(scores.get(3)).toBe(0);
    expect(scores.get(4)).toBe(0);
    // A passage scores at least as well as its best document alone, here with both terms split across two.
    const split = idx.scorePassages(
      "password bank",
      new Map([
        [3, [3, 5]],
        [5, [5]],
      ]),
      1,
    );
    expect(split.get(3)!).toBeGreaterThan(split.get(5)!);
  });

  it("tokenizes queries and documents the same way, as configured", () => {
    const idx = new Bm25Index({ tokenizer: { stem: false } });
    idx.upsert(1, "visited Miami");
    expect(idx.search("visit", 5)).toEqual([]);
    expect(idx.terms("visited the beach")).toEqual(["visited", "beach"]);
    const stemmed = new Bm25Index();
    stemmed.upsert(1, "visited Miami");
    expect(stemmed.search("visits", 5).map((h) => h.label)).toEqual([1]);
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

describe("Bm25Index top-k (early termination)", () => {
  /** Reference BM25: every document scored from its tokens, sorted, no index. */
  function reference(texts: Map<number, string>, query: string, k: number, keep?: (l: number) => boolean) {
    const toks = new Map([...texts].map(([l, t]) => [l, tokenize(t)]));
    const n = toks.size;
    const avgdl = [...toks.values()].reduce((a, t) => a + t.length, 0) / Math.max(1, n) || 1;
    const q = [...new Set(tokenize(query))];
    const df = new Map(q.map((t) => [t, [...toks.values()].filter((d) => d.includes(t)).length]));
    const hits: { label: number; score: number }[] = [];
    for (const [label, d] of toks) {
      if (keep && !keep(label)) continue;
      let score = 0;
      for (const t of q) {
        const tf = d.filter((x) => x === t).length;
        if (tf === 0) continue;
        const idf = Math.log(1 + (n - df.get(t)! + 0.5) / (df.get(t)! + 0.5));
        score += (idf * tf * 1.9) / (tf + 0.9 * (1 - 0.4 + (0.4 * d.length) / avgdl));
      }
      if (score > 0) hits.push({ label, score });
    }
    return hits.sort((a, b) => b.score - a.score || a.label - b.label).slice(0, k);
  }

  const word = fc.constantFrom(
    "alpha",
    "beta",
    "gamma",
    "delta",
    "omega",
    "zeta",
    "theta",
    "kappa",
    "sigma",
    "rho",
  );
  // Skewed vocabulary: common words in most documents, rare ones in few (where early stops matter).
  const text = fc
    .array(
      fc.oneof({ arbitrary: fc.constantFrom("alpha", "beta"), weight: 5 }, { arbitrary: word, weight: 2 }),
      {
        minLength: 0,
        maxLength: 12,
      },
    )
    .map((ws) => ws.join(" "));

  it("returns exactly the reference top k, under filters, removals and re-indexing", () => {
    fc.assert(
      fc.property(
        fc.array(text, { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat(80), { maxLength: 10 }),
        fc.array(word, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 12 }),
        (docs, edits, queryWords, k) => {
          const idx = new Bm25Index();
          const texts = new Map<number, string>();
          docs.forEach((d, i) => {
            idx.upsert(i * 3, d);
            texts.set(i * 3, d);
          });
          // Some removals, some re-indexing with another document's text (labels out of order).
          for (const e of edits) {
            const label = (e % docs.length) * 3;
            if (e % 2 === 0) {
              idx.remove(label);
              texts.delete(label);
            } else {
              const d = docs[(e + 1) % docs.length]!;
              idx.upsert(label, d);
              texts.set(label, d);
            }
          }
          const query = queryWords.join(" ");
          const check = (
            got: { label: number; score: number }[],
            want: { label: number; score: number }[],
          ) => {
            expect(got.map((h) => h.label)).toEqual(want.map((h) => h.label));
            got.forEach((h, i) => {
              expect(h.score).toBeCloseTo(want[i]!.score, 9);
            });
          };
          check(idx.search(query, k), reference(texts, query, k));
          const odd = (l: number) => l % 2 === 1;
          check(idx.search(query, k, odd), reference(texts, query, k, odd));
          check(idx.searchAmong(query, k, [...texts.keys()].filter(odd)), reference(texts, query, k, odd));
          expect(idx.size).toBe(texts.size);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("rejects labels a posting cannot hold", () => {
    const idx = new Bm25Index();
    expect(() => idx.upsert(-1, "x")).toThrow(RangeError);
    expect(() => idx.upsert(2 ** 32, "x")).toThrow(RangeError);
    expect(() => idx.upsert(1.5, "x")).toThrow(RangeError);
  });
});
