/**
 * The embedder conformance suite. Every {@link Embedder} runs it:
 *
 * ```ts
 * describe("HashEmbedder", () => runEmbedderSuite({ name: "HashEmbedder", create: () => new HashEmbedder() }));
 * ```
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cosine } from "../util/vectors.js";
import type { Embedder } from "./embedder.js";

/** Options of {@link runEmbedderSuite}. */
export interface EmbedderSuiteOptions {
  /** Name of the `describe` block. */
  name: string;
  /** Creates the embedder under test (once for the whole suite; closed afterwards if it has `close`). */
  create: () => Embedder | Promise<Embedder>;
  /** Also check that a paraphrase scores above an unrelated sentence (real semantic models only). */
  semantic?: boolean;
}

function norm(v: Float32Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/** Registers the shared conformance tests for an embedder. */
export function runEmbedderSuite(opts: EmbedderSuiteOptions): void {
  describe(`${opts.name} (embedder conformance)`, () => {
    let embedder: Embedder;

    beforeAll(async () => {
      embedder = await opts.create();
    });
    afterAll(async () => {
      await embedder?.close?.();
    });

    /** Embeds and checks the shape every caller relies on. */
    const embed = async (texts: string[]): Promise<Float32Array[]> => {
      const vectors = await embedder.embed(texts);
      expect(vectors).toHaveLength(texts.length);
      for (const v of vectors) {
        expect(v).toBeInstanceOf(Float32Array);
        expect(v.length).toBe(embedder.dimensions);
      }
      return vectors;
    };

    it("has a non-empty id and positive integer dimensions", () => {
      expect(typeof embedder.id).toBe("string");
      expect(embedder.id.length).toBeGreaterThan(0);
      expect(Number.isInteger(embedder.dimensions)).toBe(true);
      expect(embedder.dimensions).toBeGreaterThan(0);
    });

    it("returns one finite unit-length Float32Array per input, in order", async () => {
      const texts = ["The quick brown fox", "Invoices are sent monthly", "Paris is the capital of France"];
      const vectors = await embed(texts);
      for (const v of vectors) {
        expect(v.every((x) => Number.isFinite(x))).toBe(true);
        expect(Math.abs(norm(v) - 1)).toBeLessThan(1e-3);
      }
      const [single] = await embed([texts[1]!]);
      expect(maxAbsDiff(single!, vectors[1]!)).toBeLessThan(1e-5);
    });

    it("returns [] for an empty input array", async () => {
      await expect(embedder.embed([])).resolves.toEqual([]);
    });

    it("is deterministic across calls and batches", async () => {
      const text = "Backups of the main database run nightly at 2am";
      const [a] = await embed([text]);
      const [b] = await embed([text]);
      const batch = await embed([
        "first filler sentence",
        "second filler, a bit longer than the first",
        text,
        "x",
      ]);
      expect(maxAbsDiff(a!, b!)).toBeLessThan(1e-6);
      expect(maxAbsDiff(a!, batch[2]!)).toBeLessThan(1e-5);
    });

    it("handles empty, whitespace, emoji, CJK and very long strings", async () => {
      const texts = [
        "",
        " ",
        "   \n\t  ",
        "😀🎉🚀",
        "我喜欢猫和狗",
        "東京は日本の首都です",
        "!!!",
        "a".repeat(20_000),
      ];
      const long = Array.from({ length: 2_000 }, (_, i) => `word${i % 97}`).join(" ");
      texts.push(long.slice(0, 20_000));
      const vectors = await embed(texts);
      for (const v of vectors) {
        expect(v.every((x) => Number.isFinite(x))).toBe(true);
        expect(Math.abs(norm(v) - 1)).toBeLessThan(1e-3);
      }
    });

    it("embeds a batch larger than 100", async () => {
      const texts = Array.from(
        { length: 130 },
        (_, i) => `Memory number ${i}: the user mentioned topic ${i % 13}`,
      );
      const vectors = await embed(texts);
      for (const v of vectors) expect(Math.abs(norm(v) - 1)).toBeLessThan(1e-3);
      const [again] = await embed([texts[117]!]);
      expect(maxAbsDiff(again!, vectors[117]!)).toBeLessThan(1e-5);
    });

    it("gives identical texts a cosine of about 1", async () => {
      const [a, b] = await embed([
        "The API rate limit is 100 requests per minute",
        "The API rate limit is 100 requests per minute",
      ]);
      expect(cosine(a!, b!)).toBeGreaterThan(1 - 1e-4);
    });

    if (opts.semantic) {
      it("scores a paraphrase above an unrelated sentence", async () => {
        const [anchor, paraphrase, unrelated] = await embed([
          "The customer is angry about billing errors",
          "Client upset over invoice mistakes",
          "My flight got cancelled because of the storm",
        ]);
        expect(cosine(anchor!, paraphrase!)).toBeGreaterThan(cosine(anchor!, unrelated!));
      });
    }
  });
}
