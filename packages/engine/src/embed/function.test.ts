import { describe, expect, it } from "vitest";
import { LociError } from "../errors.js";
import { runEmbedderSuite } from "./embedder.case.js";
import { FunctionEmbedder, type FunctionEmbedderOptions } from "./function.js";
import { HashEmbedder } from "./hash.js";

const hash = new HashEmbedder({ dimensions: 96 });

runEmbedderSuite({
  name: "FunctionEmbedder (number[][] from HashEmbedder)",
  create: () =>
    new FunctionEmbedder({
      id: "fn-hash-96",
      dimensions: 96,
      // Scaled, un-normalised plain arrays: the wrapper must convert and normalise them.
      embed: async (texts) => (await hash.embed(texts)).map((v) => Array.from(v, (x) => x * 3)),
    }),
});
runEmbedderSuite({
  name: "FunctionEmbedder (synchronous Float32Array[])",
  create: () =>
    new FunctionEmbedder({
      id: "fn-hash-96-sync",
      dimensions: 96,
      embed: (texts) => texts.map((t) => hash.embedOne(t)),
    }),
});

const codeOf = async (promise: Promise<unknown>) => {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return LociError.isInstance(err) ? err.code : err;
};
const make = (embed: FunctionEmbedderOptions["embed"], extra: Partial<FunctionEmbedderOptions> = {}) =>
  new FunctionEmbedder({ id: "test", dimensions: 3, embed, ...extra });

describe("FunctionEmbedder", () => {
  it("normalises by default and can keep raw vectors", async () => {
    const [v] = await make(() => [[3, 0, 4]]).embed(["x"]);
    expect(Array.from(v!)).toEqual([0.6000000238418579, 0, 0.800000011920929]);
    const [raw] = await make(() => [[3, 0, 4]], { normalize: false }).embed(["x"]);
    expect(Array.from(raw!)).toEqual([3, 0, 4]);
  });

  it("passes a copy of the texts and does not call the function for an empty batch", async () => {
    const calls: string[][] = [];
    const embedder = make((texts) => {
      calls.push(texts);
      return texts.map(() => [1, 0, 0]);
    });
    await expect(embedder.embed([])).resolves.toEqual([]);
    await embedder.embed(["a", "b"]);
    expect(calls).toEqual([["a", "b"]]);
  });

  it("rejects malformed output with EmbedderError", async () => {
    expect(await codeOf(make(() => [[1, 0, 0]]).embed(["a", "b"]))).toBe("EMBEDDER_FAILED");
    expect(await codeOf(make(() => [[1, 0]]).embed(["a"]))).toBe("EMBEDDER_FAILED");
    expect(await codeOf(make(() => [[1, Number.NaN, 0]]).embed(["a"]))).toBe("EMBEDDER_FAILED");
    expect(await codeOf(make(() => [Float32Array.from([1, Number.POSITIVE_INFINITY, 0])]).embed(["a"]))).toBe(
      "EMBEDDER_FAILED",
    );
    expect(await codeOf(make(() => null as unknown as number[][]).embed(["a"]))).toBe("EMBEDDER_FAILED");
    expect(await codeOf(make(() => [["1", 0, 0]] as unknown as number[][]).embed(["a"]))).toBe(
      "EMBEDDER_FAILED",
    );
    const err = await make(() => [[1, 0]])
      .embed(["a"])
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/2 dimensions, expected 3/);
  });

  it("wraps a throwing function in EmbedderError with the cause", async () => {
    const boom = new Error("provider down");
    const err = await make(async () => {
      throw boom;
    })
      .embed(["a"])
      .catch((e: unknown) => e);
    expect(LociError.isInstance(err) && err.code).toBe("EMBEDDER_FAILED");
    expect((err as Error).cause).toBe(boom);
    expect((err as Error).message).toContain("provider down");
  });

  it("validates its options with ValidationError", () => {
    const fn = () => [[1, 0, 0]];
    const bad: unknown[] = [
      { id: "", dimensions: 3, embed: fn },
      { id: "   ", dimensions: 3, embed: fn },
      { dimensions: 3, embed: fn },
      { id: "x", dimensions: 0, embed: fn },
      { id: "x", dimensions: 2.5, embed: fn },
      { id: "x", dimensions: "3", embed: fn },
      { id: "x", dimensions: 3 },
      { id: "x", dimensions: 3, embed: fn, normalize: "yes" },
    ];
    for (const options of bad) {
      let caught: unknown;
      try {
        new FunctionEmbedder(options as FunctionEmbedderOptions);
      } catch (err) {
        caught = err;
      }
      expect(LociError.isInstance(caught) && caught.code, JSON.stringify(options)).toBe("INVALID_ARGUMENT");
    }
  });
});
