import { afterEach, describe, expect, it } from "vitest";
import { LociError } from "../errors.js";
import { tokenize } from "../index/tokenize.js";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";
import { lengthFactor } from "./ranking.js";
import { LENGTH_PRIOR_TERMS, LENGTH_PRIOR_WEIGHT } from "./search-options.js";

let env: TempEngine;
afterEach(async () => env?.cleanup());

/** A two-word reply and a substantial turn that match a keyword query about as well. */
async function seed() {
  env = await openTempEngine();
  const [short, long] = await env.loci.memory.addMany({
    namespace: "chat",
    memories: [
      { content: "melatonin, haha" },
      {
        content:
          "Some nights I take melatonin an hour before bed, and mint tea from Morocco helps me fall asleep when exams keep me up",
      },
    ],
  });
  return { short: short!, long: long! };
}

describe("lengthPrior", () => {
  it("is off by default and, given, lets a substantial memory overtake a two-word reply", async () => {
    const { short, long } = await seed();
    const q = { namespace: "chat", query: "melatonin", mode: "keyword" as const };
    const plain = await env.loci.memory.search(q);
    expect(plain.map((h) => h.memory.id)).toEqual([short.id, long.id]);
    const stronger = await env.loci.memory.search({ ...q, lengthPrior: { weight: 0.5 } });
    expect(stronger.map((h) => h.memory.id)).toEqual([long.id, short.id]);
    // The factor (here with the defaults) is applied to relevance, as documented.
    const withPrior = await env.loci.memory.search({ ...q, lengthPrior: {} });
    for (const hit of withPrior) {
      const before = plain.find((h) => h.memory.id === hit.memory.id)!;
      const terms = tokenize(hit.memory.content).length;
      expect(hit.scores.relevance).toBeCloseTo(
        before.scores.relevance *
          lengthFactor(terms, { weight: LENGTH_PRIOR_WEIGHT, terms: LENGTH_PRIOR_TERMS }),
        6,
      );
    }
    // Weight 0 changes nothing.
    const none = await env.loci.memory.search({ ...q, lengthPrior: { weight: 0 } });
    expect(none.map((h) => [h.memory.id, h.score])).toEqual(plain.map((h) => [h.memory.id, h.score]));
  });

  it("also reorders a vector-only search (which otherwise takes the ANN's own top k)", async () => {
    const { short, long } = await seed();
    const longTerms = tokenize(long.content).length;
    const q = { namespace: "chat", query: "melatonin", mode: "vector" as const, limit: 2 };
    const plain = await env.loci.memory.search(q);
    const withPrior = await env.loci.memory.search({ ...q, lengthPrior: { weight: 1, terms: longTerms } });
    expect(new Set(plain.map((h) => h.memory.id))).toEqual(new Set([short.id, long.id]));
    const longHit = withPrior.find((h) => h.memory.id === long.id)!;
    const shortHit = withPrior.find((h) => h.memory.id === short.id)!;
    expect(longHit.score).toBeCloseTo(plain.find((h) => h.memory.id === long.id)!.score, 6);
    expect(shortHit.score).toBeCloseTo(
      plain.find((h) => h.memory.id === short.id)!.score *
        (Math.log1p(tokenize(short.content).length) / Math.log1p(longTerms)),
      6,
    );
  });

  it("factor: 1 − λ with no terms, 1 from `terms` on, rising in between", () => {
    const prior = { weight: 0.2, terms: 20 };
    expect(lengthFactor(0, prior)).toBeCloseTo(0.8, 12);
    expect(lengthFactor(20, prior)).toBe(1);
    expect(lengthFactor(500, prior)).toBe(1);
    expect(lengthFactor(5, prior)).toBeGreaterThan(lengthFactor(2, prior));
    expect(lengthFactor(5, prior)).toBeLessThan(1);
  });

  it("validates its options", async () => {
    await seed();
    const code = async (lengthPrior: unknown) =>
      env.loci.memory
        .search({ namespace: "chat", query: "melatonin", lengthPrior: lengthPrior as never })
        .then(
          () => "ok",
          (e: unknown) => (LociError.isInstance(e) ? `${e.code}:${String(e.details?.field)}` : String(e)),
        );
    expect(await code({ weight: 1.5 })).toBe("INVALID_ARGUMENT:lengthPrior.weight");
    expect(await code({ terms: 0 })).toBe("INVALID_ARGUMENT:lengthPrior.terms");
    expect(await code({ terms: 2.5 })).toBe("INVALID_ARGUMENT:lengthPrior.terms");
    expect(await code("yes")).toBe("INVALID_ARGUMENT:lengthPrior");
    expect(await code(false)).toBe("ok");
  });
});
