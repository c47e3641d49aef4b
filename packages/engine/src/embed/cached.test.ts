import { describe, expect, it } from "vitest";
import { EmbedderError } from "../errors.js";
import { CachedEmbedder, KEEP_BATCHES_UP_TO } from "./cached.js";
import { runEmbedderSuite } from "./embedder.case.js";
import type { Embedder } from "./embedder.js";
import { FunctionEmbedder } from "./function.js";
import { HashEmbedder } from "./hash.js";

runEmbedderSuite({
  name: "CachedEmbedder(HashEmbedder)",
  create: () => new CachedEmbedder({ embedder: new HashEmbedder({ dimensions: 64 }) }),
});

/** The real hash embedder, behind a function that records every batch it is asked for. */
function recorded(opts: { fail?: () => boolean; delayMs?: number } = {}) {
  const hash = new HashEmbedder({ dimensions: 32 });
  const calls: string[][] = [];
  const inner = new FunctionEmbedder({
    id: hash.id,
    dimensions: hash.dimensions,
    embed: async (texts, { signal }) => {
      calls.push([...texts]);
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      signal?.throwIfAborted();
      if (opts.fail?.()) throw new Error("provider down");
      return hash.embed(texts);
    },
  });
  return { hash, inner, calls };
}

describe("CachedEmbedder", () => {
  it("embeds a text once, then serves it from the cache with the inner embedder's vector", async () => {
    const { hash, inner, calls } = recorded();
    const cached = new CachedEmbedder({ embedder: inner });
    expect(cached.id).toBe(hash.id);
    const [first] = await cached.embed(["refund for order 42"]);
    const [again, other] = await cached.embed(["refund for order 42", "late delivery"]);
    expect(calls).toEqual([["refund for order 42"], ["late delivery"]]);
    const [truth] = await hash.embed(["refund for order 42"]);
    expect([...again!]).toEqual([...truth!]);
    expect([...first!]).toEqual([...truth!]);
    expect(other).toHaveLength(32);
    expect(cached.stats).toEqual({ hits: 1, misses: 2, entries: 2 });
  });

  it("embeds a text repeated within one call once, and keeps the order", async () => {
    const { hash, inner, calls } = recorded();
    const cached = new CachedEmbedder({ embedder: inner });
    const out = await cached.embed(["a b", "c d", "a b"]);
    expect(calls).toEqual([["a b", "c d"]]);
    const truth = await hash.embed(["a b", "c d", "a b"]);
    expect(out.map((v) => [...v])).toEqual(truth.map((v) => [...v]));
  });

  it("joins concurrent requests for the same text", async () => {
    const { inner, calls } = recorded({ delayMs: 20 });
    const cached = new CachedEmbedder({ embedder: inner });
    const all = await Promise.all(Array.from({ length: 8 }, () => cached.embed(["same question"])));
    expect(calls).toEqual([["same question"]]);
    for (const [v] of all) expect([...v!]).toEqual([...all[0]![0]!]);
    // Each caller got its own copy.
    expect(new Set(all.map(([v]) => v)).size).toBe(8);
  });

  it("returns copies: changing a returned vector does not change the cache", async () => {
    const { inner } = recorded();
    const cached = new CachedEmbedder({ embedder: inner });
    const [v] = await cached.embed(["x y z"]);
    const before = [...v!];
    v!.fill(0);
    const [again] = await cached.embed(["x y z"]);
    expect([...again!]).toEqual(before);
  });

  it("evicts the least recently used text past maxEntries", async () => {
    const { inner, calls } = recorded();
    const cached = new CachedEmbedder({ embedder: inner, maxEntries: 2 });
    await cached.embed(["a"]);
    await cached.embed(["b"]);
    await cached.embed(["a"]); // a is now the most recent
    await cached.embed(["c"]); // evicts b
    calls.length = 0;
    await cached.embed(["a"]);
    await cached.embed(["c"]);
    expect(calls).toEqual([]);
    await cached.embed(["b"]);
    expect(calls).toEqual([["b"]]);
    expect(cached.stats.entries).toBe(2);
  });

  it("keys long texts by their hash without confusing texts that differ only at the end", async () => {
    const { hash, inner, calls } = recorded();
    const cached = new CachedEmbedder({ embedder: inner });
    const long = "the customer wrote about the invoice again ".repeat(10);
    const [a, b] = await cached.embed([`${long}first`, `${long}second`]);
    expect(calls).toHaveLength(1);
    expect([...a!]).not.toEqual([...b!]);
    const [again] = await cached.embed([`${long}second`]);
    expect(calls).toHaveLength(1);
    expect([...again!]).toEqual([...(await hash.embed([`${long}second`]))[0]!]);
  });

  it("does not cache failures: the next call embeds again", async () => {
    let failing = true;
    const { inner, calls } = recorded({ fail: () => failing });
    const cached = new CachedEmbedder({ embedder: inner });
    await expect(cached.embed(["flaky"])).rejects.toThrow("provider down");
    failing = false;
    await expect(cached.embed(["flaky"])).resolves.toHaveLength(1);
    expect(calls).toHaveLength(2);
  });

  it("serves bulk calls without keeping them (an import does not evict the hot texts)", async () => {
    const { inner, calls } = recorded();
    const cached = new CachedEmbedder({ embedder: inner, maxEntries: 100 });
    await cached.embed(["hot query"]);
    const bulk = Array.from({ length: KEEP_BATCHES_UP_TO + 1 }, (_, i) => `memory ${i}`);
    expect(await cached.embed(bulk)).toHaveLength(bulk.length);
    expect(cached.stats.entries).toBe(1);
    calls.length = 0;
    await cached.embed(["hot query", "memory 0"]);
    expect(calls).toEqual([["memory 0"]]);
  });

  it("a caller whose request was joined by others aborts alone; the others still get vectors", async () => {
    const { inner, calls } = recorded({ delayMs: 30 });
    const cached = new CachedEmbedder({ embedder: inner });
    const controller = new AbortController();
    const starter = cached.embed(["shared"], { signal: controller.signal });
    const joiner = cached.embed(["shared"]);
    controller.abort();
    await expect(starter).rejects.toMatchObject({ name: "AbortError" });
    const [v] = await joiner;
    expect(v).toHaveLength(32);
    expect(calls).toEqual([["shared"], ["shared"]]);
    // Each caller's text counts once: the starter's miss and the joiner's hit (not again on its retry).
    expect(cached.stats).toMatchObject({ hits: 1, misses: 1 });
  });

  it("rejects a joined request as soon as its own signal aborts", async () => {
    const { inner } = recorded({ delayMs: 200 });
    const cached = new CachedEmbedder({ embedder: inner });
    let firstDone = false;
    const first = cached.embed(["slow"]).then((v) => {
      firstDone = true;
      return v;
    });
    const controller = new AbortController();
    const second = cached.embed(["slow"], { signal: controller.signal });
    controller.abort();
    await expect(second).rejects.toMatchObject({ name: "AbortError" });
    expect(firstDone).toBe(false);
    await expect(first).resolves.toHaveLength(1);
  });

  it("reports an inner embedder that returns too few vectors as EMBEDDER_FAILED", async () => {
    const short: Embedder = { id: "short", dimensions: 4, embed: async () => [new Float32Array(4)] };
    const cached = new CachedEmbedder({ embedder: short });
    const err = await cached.embed(["a", "b"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbedderError);
    expect((err as EmbedderError).code).toBe("EMBEDDER_FAILED");
    expect(cached.stats.entries).toBe(0);
  });

  it("rejects a maxEntries that is not a positive integer", () => {
    const embedder = new HashEmbedder();
    for (const maxEntries of [0, -1, 1.5, Number.NaN]) {
      expect(() => new CachedEmbedder({ embedder, maxEntries })).toThrow(
        expect.objectContaining({ code: "INVALID_ARGUMENT", details: { field: "maxEntries" } }),
      );
    }
  });
});
