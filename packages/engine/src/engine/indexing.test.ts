import { describe, expect, it } from "vitest";
import { FunctionEmbedder } from "../embed/function.js";
import { openTempEngine } from "../testing/temp-engine.js";

const DIMS = 32;

function vectors(n: number, seed: number): Float32Array[] {
  let s = seed >>> 0;
  const r = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  return Array.from({ length: n }, () => Float32Array.from({ length: DIMS }, r));
}

const embedder = new FunctionEmbedder({
  id: "precomputed",
  dimensions: DIMS,
  embed: () => {
    throw new Error("vectors are given");
  },
});

describe("background ANN indexing", () => {
  it("finds committed memories before the graph holds them, with the same results after", async () => {
    const env = await openTempEngine({ embedder, snapshotEvery: 100 });
    try {
      const vs = vectors(600, 3);
      // Three concurrent batches: one group commit, after which nothing has yielded to the background
      // indexing yet (awaiting each batch in turn would let it run between them).
      await Promise.all(
        [0, 200, 400].map((i) =>
          env.loci.memory.addMany({
            namespace: "n",
            memories: vs.slice(i, i + 200).map((embedding, j) => ({
              id: `m${i + j}`,
              content: `memory ${i + j}`,
              embedding,
              metadata: { even: (i + j) % 2 === 0 },
            })),
          }),
        ),
      );
      // Every vector is still pending.
      expect(await env.loci.indexBacklog()).toBe(600);
      const [q] = vectors(1, 9);
      const search = async (filter: boolean) =>
        (
          await env.loci.memory.search({
            namespace: "n",
            query: "",
            queryEmbedding: q!,
            mode: "vector",
            limit: 5,
            ...(filter ? { metadataFilter: { even: true } } : {}),
          })
        ).map((r) => r.memory.id);
      const pendingPlain = await search(false);
      const pendingFiltered = await search(true);
      expect(pendingPlain).toHaveLength(5);
      expect(pendingFiltered.every((id) => Number(id.slice(1)) % 2 === 0)).toBe(true);

      await env.loci.whenIndexed({ namespace: "n" });
      expect(await env.loci.indexBacklog()).toBe(0);
      expect(await search(false)).toEqual(pendingPlain);
      expect(await search(true)).toEqual(pendingFiltered);

      // The snapshots written while vectors were pending were partial; a complete one replaced them,
      // so the reopened namespace has nothing to re-index.
      await env.reopen();
      expect(await search(false)).toEqual(pendingPlain);
      expect(await env.loci.indexBacklog()).toBe(0);
    } finally {
      await env.cleanup();
    }
  });
});
