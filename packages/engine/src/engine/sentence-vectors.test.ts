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
  // 60 candidates, cosine rising with seq; two keyword hits among the weakest by cosine; 99 is no candidate.
  const candidates = new Set(Array.from({ length: 60 }, (_, i) => i + 1));
  const vec = new Map([...candidates].map((seq) => [seq, seq / 100]));
  vec.set(99, 1);
  const kw = new Map([
    [2, 5],
    [1, 9],
    [99, 10],
  ]);
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it("takes the vector side's share by cosine and the best limit keyword hits in hybrid search", () => {
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    expect(sorted(sentenceCandidates(candidates, vec, kw, 1, true))).toEqual([1, ...range(21, 60)]);
    expect(sorted(sentenceCandidates(candidates, vec, kw, 12, true))).toEqual([1, 2, ...range(13, 60)]);
  });

  it("takes every candidate otherwise", () => {
    expect(sentenceCandidates(candidates, vec, kw, 1, false)).toHaveLength(60);
  });
});
