import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CachedEmbedder } from "./embed/cached.js";
import { FunctionEmbedder } from "./embed/function.js";
import { HashEmbedder } from "./embed/hash.js";
import { Loci } from "./loci.js";
import { openTempEngine, type TempEngine } from "./testing/temp-engine.js";

let env: TempEngine;
afterEach(async () => env?.cleanup());

/** The real hash embedder, counting the texts it is asked to embed. */
function counting() {
  const hash = new HashEmbedder({ dimensions: 64 });
  const texts: string[] = [];
  const embedder = new FunctionEmbedder({
    id: hash.id,
    dimensions: hash.dimensions,
    embed: (batch) => {
      texts.push(...batch);
      return hash.embed(batch);
    },
  });
  return { embedder, texts };
}

describe("LociOptions.embeddingCache", () => {
  it("embeds a repeated query once, with the same results as without the cache", async () => {
    const on = counting();
    env = await openTempEngine({ embedder: on.embedder });
    await env.loci.memory.add({ namespace: "crew", content: "Invoice 42 was charged twice" });
    const search = () => env.loci.memory.search({ namespace: "crew", query: "double charge on invoice" });
    const first = await search();
    const again = await search();
    await search();
    expect(on.texts).toEqual(["Invoice 42 was charged twice", "double charge on invoice"]);
    // (Access statistics change with every search; ranks and scores do not.)
    const ranked = (rs: typeof first) => rs.map((r) => [r.memory.id, r.score]);
    expect(ranked(again)).toEqual(ranked(first));
    expect(env.loci.embedder).toBeInstanceOf(CachedEmbedder);
    expect((env.loci.embedder as CachedEmbedder).stats).toMatchObject({ hits: 2, misses: 2 });

    const off = counting();
    const plain = await openTempEngine({ embedder: off.embedder, embeddingCache: false });
    try {
      await plain.loci.memory.add({ namespace: "crew", content: "Invoice 42 was charged twice" });
      const results = await plain.loci.memory.search({
        namespace: "crew",
        query: "double charge on invoice",
      });
      await plain.loci.memory.search({ namespace: "crew", query: "double charge on invoice" });
      expect(off.texts).toHaveLength(3);
      expect(plain.loci.embedder).toBe(off.embedder);
      expect(results.map((r) => r.score)).toEqual(first.map((r) => r.score));
    } finally {
      await plain.cleanup();
    }
  });

  it("serves content already embedded (a repeated add) from the cache", async () => {
    const c = counting();
    env = await openTempEngine({ embedder: c.embedder, embeddingCache: { maxEntries: 16 } });
    await env.loci.memory.add({ namespace: "crew", content: "Customer prefers email" });
    await env.loci.memory.search({ namespace: "crew", query: "Customer prefers email" });
    await env.loci.memory.add({ namespace: "crew", content: "Customer prefers email" });
    expect(c.texts).toEqual(["Customer prefers email"]);
  });

  it("rejects a bad size with a typed error, before touching the data directory", async () => {
    const dataDir = join(tmpdir(), `loci-never-cache-${process.pid}`);
    for (const maxEntries of [-1, 1.5, Number.NaN, "64" as unknown as number]) {
      await expect(Loci.open({ dataDir, embeddingCache: { maxEntries } })).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
        details: { field: "embeddingCache.maxEntries" },
      });
    }
    expect(existsSync(dataDir)).toBe(false);
  });
});
