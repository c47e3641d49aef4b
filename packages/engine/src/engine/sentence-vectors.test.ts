import { describe, expect, it } from "vitest";
import { leadingLabel, MAX_SENTENCES, sentenceCandidates, sentenceTexts } from "./sentence-vectors.js";

describe("sentenceTexts", () => {
  it("splits at sentence ends and line breaks, and keeps nothing for one sentence", () => {
    expect(sentenceTexts("We moved to Lisbon. The flat is small! Is it sunny?\nYes")).toEqual([
      "We moved to Lisbon.",
      "The flat is small!",
      "Is it sunny?",
      "Yes",
    ]);
    expect(sentenceTexts("Invoice 2291 was paid twice.")).toEqual([]);
    expect(sentenceTexts("v1.2.3 shipped on 3.4.2024 without issues")).toEqual([]);
    expect(sentenceTexts("Done. ... !!")).toEqual([]);
  });

  it("keeps a short leading label on every sentence", () => {
    expect(sentenceTexts("Fahim Khan: I moved. I love it.")).toEqual([
      "Fahim Khan: I moved.",
      "Fahim Khan: I love it.",
    ]);
    expect(leadingLabel("Emi: hi")).toBe("Emi");
    expect(leadingLabel("ERROR: disk full")).toBe("ERROR");
    expect(leadingLabel("We decided the following for the launch plan: ship it")).toBeNull();
    expect(leadingLabel("Done. Next: ship")).toBeNull();
    expect(leadingLabel("no label here")).toBeNull();
  });

  it("cuts a long memory into at most MAX_SENTENCES runs that keep every sentence in order", () => {
    const sentences = Array.from({ length: 40 }, (_, i) => `Sentence number ${i}.`);
    const runs = sentenceTexts(sentences.join(" "));
    expect(runs).toHaveLength(MAX_SENTENCES);
    expect(runs.join(" ")).toBe(sentences.join(" "));
  });
});

describe("sentenceCandidates", () => {
  const candidates = new Set([1, 2, 3, 4, 5, 6, 7]);
  const vec = new Map([
    [1, 0.9],
    [2, 0.8],
    [3, 0.7],
    [4, 0.1],
    [5, 0.2],
    [6, 0.3],
    [7, 0.05],
    [99, 1],
  ]);
  const kw = new Map([
    [7, 9],
    [1, 5],
    [4, 1],
  ]);

  it("takes the best 2·limit by cosine and the best limit keyword hits in hybrid search", () => {
    expect(sentenceCandidates(candidates, vec, kw, 1, true).sort()).toEqual([1, 2, 7]);
    expect(sentenceCandidates(candidates, vec, kw, 2, true).sort()).toEqual([1, 2, 3, 6, 7]);
  });

  it("takes every candidate otherwise", () => {
    expect(sentenceCandidates(candidates, vec, kw, 1, false).sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});
