import { describe, expect, it } from "vitest";
import { leadingLabel, MAX_SENTENCES, sentenceTexts } from "./sentence-vectors.js";

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
