import { describe, expect, it } from "vitest";
import { LociError } from "../errors.js";
import { runEmbedderSuite } from "./embedder.case.js";
import { fnv1a32, HashEmbedder } from "./hash.js";

runEmbedderSuite({ name: "HashEmbedder", create: () => new HashEmbedder() });
runEmbedderSuite({
  name: "HashEmbedder (64-d, bigrams)",
  create: () => new HashEmbedder({ dimensions: 64, ngrams: [2] }),
});

const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe("HashEmbedder", () => {
  const embedder = new HashEmbedder();
  const sim = async (a: string, b: string) => {
    const [va, vb] = await embedder.embed([a, b]);
    return cos(va!, vb!);
  };

  it("hashes with standard FNV-1a 32-bit over UTF-8", () => {
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(fnv1a32("foobar")).toBe(0xbf9cf968);
    expect(fnv1a32("é")).toBe(fnv1a32("\u00e9"));
  });

  it("scores texts sharing words above unrelated texts", async () => {
    const shared = await sim(
      "The customer reported double billing on invoice 42",
      "Double billing on the customer invoice",
    );
    const unrelated = await sim(
      "The customer reported double billing on invoice 42",
      "My flight got cancelled because of the storm",
    );
    expect(shared).toBeGreaterThan(0.4);
    expect(shared).toBeGreaterThan(unrelated + 0.3);
  });

  it("tolerates typos through character n-grams", async () => {
    const typo = await sim("billing", "biling");
    const unrelated = await sim("billing", "weather");
    expect(typo).toBeGreaterThan(unrelated);
    expect(typo).toBeGreaterThan(0.3);
  });

  it("is case-, punctuation- and stop-word-insensitive", async () => {
    expect(await sim("Reset the PASSWORD!", "reset password")).toBeCloseTo(1, 5);
    expect(await sim("Ｒｅｓｅｔ password", "reset password")).toBeCloseTo(1, 5); // NFKC folds full-width letters
  });

  it("supports custom dimensions and records them (and n-gram sizes) in the id", async () => {
    const small = new HashEmbedder({ dimensions: 128 });
    expect(small.dimensions).toBe(128);
    expect(small.id).toBe("hash-ngram-v1-128");
    expect(new HashEmbedder().id).toBe("hash-ngram-v1-512");
    expect(new HashEmbedder({ ngrams: [5, 3, 4, 4] }).id).toBe("hash-ngram-v1-512");
    expect(new HashEmbedder({ dimensions: 256, ngrams: [2, 3] }).id).toBe("hash-ngram-v1-256-n2.3");
    const [v] = await small.embed(["hello world"]);
    expect(v).toHaveLength(128);
  });

  it("embeds stop-word-only, empty and emoji-only text as one fixed unit vector", async () => {
    const [stop, empty, emoji] = await embedder.embed(["the and of to is", "", "🎉🎉"]);
    const norm = Math.sqrt(cos(stop!, stop!));
    expect(norm).toBeCloseTo(1, 5);
    expect(Array.from(empty!)).toEqual(Array.from(stop!));
    expect(Array.from(emoji!)).toEqual(Array.from(stop!));
    // Returned vectors are copies: mutating one does not leak into the next call.
    empty!.fill(0);
    const [again] = await embedder.embed([""]);
    expect(Math.sqrt(cos(again!, again!))).toBeCloseTo(1, 5);
  });

  it("handles non-Latin scripts and astral characters", async () => {
    expect(await sim("東京は日本の首都です", "東京は日本の首都")).toBeGreaterThan(0.5);
    expect(await sim("Ελληνικά γράμματα", "ελληνικά ΓΡΆΜΜΑΤΑ")).toBeCloseTo(1, 5);
    expect(await sim("𝒜𝒷𝒸 math", "abc math")).toBeGreaterThan(0.9); // NFKC folds math letters
  });

  it("rejects invalid options with ValidationError", () => {
    for (const bad of [
      { dimensions: 0 },
      { dimensions: 1.5 },
      { dimensions: -3 },
      { ngrams: [0] },
      { ngrams: [2.5] },
    ]) {
      let caught: unknown;
      try {
        new HashEmbedder(bad);
      } catch (err) {
        caught = err;
      }
      expect(LociError.isInstance(caught) && caught.code).toBe("INVALID_ARGUMENT");
    }
  });

  it("rejects when the signal is already aborted", async () => {
    await expect(embedder.embed(["x"], { signal: AbortSignal.abort() })).rejects.toThrow();
  });
});
