import { afterAll, describe, expect, it } from "vitest";
import { LociError } from "../errors.js";
import { runEmbedderSuite } from "./embedder.case.js";
import { UseLiteEmbedder, type UseLiteModel } from "./use-lite.js";

const TIMEOUT = 60_000;

runEmbedderSuite({ name: "UseLiteEmbedder", create: () => new UseLiteEmbedder(), semantic: true });

const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

/** A stand-in model that records its calls and returns a vector derived from each text's length. */
function fakeModel(calls: string[][]): UseLiteModel {
  return {
    embed: async (input) => {
      calls.push(input);
      return input.map((t) => Array.from({ length: 512 }, (_, i) => (i === t.length % 512 ? 2 : 0)));
    },
  };
}

describe("UseLiteEmbedder with the real model", () => {
  const embedder = new UseLiteEmbedder();
  afterAll(() => embedder.close());

  it(
    "retrieves the right fact for differently worded questions",
    async () => {
      const facts = [
        "User's dog is named Biscuit",
        "The API rate limit is 100 requests per minute",
        "Backups of the main database run nightly at 2am",
        "The user prefers dark mode in every application",
        "Alice is the team lead for the payments project",
      ];
      const questions = [
        "What is the name of my pet?",
        "How many calls can I make to the API each minute?",
        "What time are DB snapshots taken?",
        "Which colour theme does the user like?",
        "Who manages the payments team?",
      ];
      const [factVecs, questionVecs] = await Promise.all([embedder.embed(facts), embedder.embed(questions)]);
      let hits = 0;
      questionVecs.forEach((q, i) => {
        const scores = factVecs.map((f) => cos(q, f));
        if (scores.indexOf(Math.max(...scores)) === i) hits++;
      });
      expect(hits).toBeGreaterThanOrEqual(4);
    },
    TIMEOUT,
  );

  it(
    "loads the model once for concurrent first calls",
    async () => {
      const fresh = new UseLiteEmbedder();
      try {
        const [a, b] = await Promise.all([fresh.embed(["hello there"]), fresh.embed(["hello there"])]);
        expect(fresh.loadCount).toBe(1);
        expect(Array.from(a[0]!)).toEqual(Array.from(b[0]!));
        await fresh.embed(["again"]);
        expect(fresh.loadCount).toBe(1);
        await fresh.close();
        await fresh.embed(["after close"]); // close() drops the model; the next call loads it again
        expect(fresh.loadCount).toBe(2);
      } finally {
        await fresh.close();
      }
    },
    TIMEOUT,
  );

  it(
    "gives concurrent calls, which share model runs, the vectors they get one at a time",
    async () => {
      const texts = [
        "refund for order 42",
        "the printer is jammed",
        "renewal due in May",
        "hello",
        "ok then",
      ];
      const alone: Float32Array[] = [];
      for (const t of texts) alone.push((await embedder.embed([t]))[0]!);
      const together = await Promise.all(texts.map((t) => embedder.embed([t])));
      together.forEach(([v], i) => {
        let d = 0;
        for (let j = 0; j < 512; j++) d = Math.max(d, Math.abs(v![j]! - alone[i]![j]!));
        expect(d).toBeLessThan(1e-5);
      });
    },
    TIMEOUT,
  );

  it(
    "truncates inputs longer than maxChars",
    async () => {
      const head = "The quarterly report is due on Friday. ".repeat(60).slice(0, 2000);
      const [a, b] = await embedder.embed([head, `${head} but this tail is ignored entirely`]);
      expect(Array.from(a!)).toEqual(Array.from(b!));
    },
    TIMEOUT,
  );
});

describe("UseLiteEmbedder mechanics (stand-in model)", () => {
  it("batches, replaces empty/whitespace texts and truncates", async () => {
    const calls: string[][] = [];
    const embedder = new UseLiteEmbedder({ batchSize: 2, maxChars: 5, load: async () => fakeModel(calls) });
    const vectors = await embedder.embed(["", "  \n", "abcdefgh", "ok", "z"]);
    expect(vectors).toHaveLength(5);
    expect(calls).toEqual([[" ", " "], ["abcde", "ok"], ["z"]]);
    expect(vectors[0]![1]).toBe(1); // normalised
  });

  it("merges calls made while the model runs into its next run, each caller getting its own vectors", async () => {
    const calls: string[][] = [];
    const embedder = new UseLiteEmbedder({ batchSize: 8, load: async () => fakeModel(calls) });
    const texts = ["a", "bb", "ccc", "dddd", "eeeee", "ffffff"];
    const out = await Promise.all(texts.map((t) => embedder.embed([t])));
    // The first call runs alone (after the load); the five made meanwhile share the next run.
    expect(calls).toEqual([["a"], ["bb", "ccc", "dddd", "eeeee", "ffffff"]]);
    for (const [i, [v]] of out.entries()) expect(v![texts[i]!.length]).toBeCloseTo(1, 6);
  });

  it("does not split a surrogate pair when truncating", async () => {
    const calls: string[][] = [];
    const embedder = new UseLiteEmbedder({ maxChars: 4, load: async () => fakeModel(calls) });
    await embedder.embed(["abc😀def"]);
    expect(calls[0]).toEqual(["abc"]);
  });

  it("retries a failed load on the next call and wraps the failure", async () => {
    const calls: string[][] = [];
    let attempts = 0;
    const boom = new Error("weights missing");
    const embedder = new UseLiteEmbedder({
      load: async () => {
        attempts++;
        if (attempts === 1) throw boom;
        return fakeModel(calls);
      },
    });
    const err = await embedder.embed(["a"]).catch((e: unknown) => e);
    expect(LociError.isInstance(err) && err.code).toBe("EMBEDDER_FAILED");
    expect((err as Error).cause).toBe(boom);
    await expect(embedder.embed(["a"])).resolves.toHaveLength(1);
    expect(embedder.loadCount).toBe(2);
  });

  it("wraps model failures and malformed output in EmbedderError", async () => {
    const failing = new UseLiteEmbedder({
      load: async () => ({
        embed: async () => {
          throw new Error("sparseToDense");
        },
      }),
    });
    const err = await failing.embed(["a"]).catch((e: unknown) => e);
    expect(LociError.isInstance(err) && err.code).toBe("EMBEDDER_FAILED");
    const short = new UseLiteEmbedder({
      load: async () => ({ embed: async (input) => input.map(() => [1, 2]) }),
    });
    const err2 = await short.embed(["a"]).catch((e: unknown) => e);
    expect(LociError.isInstance(err2) && err2.code).toBe("EMBEDDER_FAILED");
  });

  it("validates its options and honours a pre-aborted signal", async () => {
    for (const bad of [{ batchSize: 0 }, { maxChars: -1 }, { batchSize: 1.5 }]) {
      expect(() => new UseLiteEmbedder(bad)).toThrow(/positive integer/);
    }
    const embedder = new UseLiteEmbedder({ load: async () => fakeModel([]) });
    await expect(embedder.embed(["a"], { signal: AbortSignal.abort() })).rejects.toThrow();
    expect(embedder.loadCount).toBe(0);
    expect(embedder.id).toBe("use-lite-512@energetic-0.2.0");
    expect(embedder.dimensions).toBe(512);
  });
});
