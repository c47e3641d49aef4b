import { describe, expect, it } from "vitest";
import { FunctionEmbedder } from "../embed/function.js";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";
import { seededRandom } from "../util/random.js";
import { cosine } from "../util/vectors.js";
import type { DocInfo } from "./doc-table.js";
import { estimateMatches, SAMPLE_SIZE } from "./filter-estimate.js";
import { BROAD_FILTER, EXACT_SEARCH_THRESHOLD } from "./ranking.js";

const doc = (seq: number, tier: string): DocInfo => ({
  seq,
  id: `m${seq}`,
  metadata: { tier },
  sessionId: null,
  agentId: null,
  importance: 0.5,
  createdAt: 0,
  updatedAt: 0,
  lastAccessedAt: 0,
  accessCount: 0,
  expiresAt: null,
});

describe("estimateMatches", () => {
  it("estimates the share of memories passing a filter from a fixed sample", () => {
    const docs = new Map<number, DocInfo>();
    // Seqs 1…20,000 with every third one deleted; 30% of the rest pass.
    for (let seq = 1; seq <= 20_000; seq++)
      if (seq % 3 !== 0) docs.set(seq, doc(seq, seq % 10 < 3 ? "a" : "b"));
    const passes = (d: DocInfo) => d.metadata.tier === "a";
    const truth = [...docs.values()].filter(passes).length;
    const estimate = estimateMatches(docs, 20_000, passes)!;
    expect(Math.abs(estimate - truth) / truth).toBeLessThan(0.25);
    // Deterministic: the same state gives the same estimate (and so the same search path).
    expect(estimateMatches(docs, 20_000, passes)).toBe(estimate);
    expect(estimateMatches(docs, 20_000, () => false)).toBe(0);
  });

  it("gives no estimate when sampled seqs rarely name a live memory", () => {
    const docs = new Map<number, DocInfo>();
    for (let i = 0; i < SAMPLE_SIZE; i++) docs.set(1_000_000 + i, doc(1_000_000 + i, "a"));
    expect(estimateMatches(docs, 1_000_000 + SAMPLE_SIZE, () => true)).toBeNull();
    expect(estimateMatches(new Map(), 0, () => true)).toBeNull();
  });
});

describe("filtered search in a large namespace", () => {
  let env: TempEngine;

  it("is exact for a selective filter and finds the filtered top k for a broad one", async () => {
    const dims = 8;
    env = await openTempEngine({
      embedder: new FunctionEmbedder({
        id: "given",
        dimensions: dims,
        embed: () => {
          throw new Error("vectors are given");
        },
      }),
    });
    try {
      const random = seededRandom(3);
      const vector = () => Array.from({ length: dims }, () => random() - 0.5);
      const n = BROAD_FILTER + 1_000;
      const all: { id: string; tier: string; v: number[] }[] = [];
      for (let start = 0; start < n; start += 1000) {
        const memories = Array.from({ length: Math.min(1000, n - start) }, (_, j) => {
          const i = start + j;
          return {
            id: `m${i}`,
            content: `note ${i}`,
            embedding: vector(),
            metadata: { tier: i % 20 === 0 ? "rare" : "common" },
          };
        });
        await env.loci.memory.addMany({ namespace: "big", memories });
        all.push(...memories.map((m) => ({ id: m.id, tier: m.metadata.tier, v: m.embedding })));
      }
      expect(all.filter((m) => m.tier === "rare").length).toBeLessThan(EXACT_SEARCH_THRESHOLD);
      expect(all.filter((m) => m.tier === "common").length).toBeGreaterThan(BROAD_FILTER);
      await env.loci.whenIndexed({ namespace: "big" });
      const cos = (a: number[], b: number[]) => cosine(Float32Array.from(a), Float32Array.from(b));
      let found = 0;
      for (let q = 0; q < 10; q++) {
        const query = vector();
        const truth = (tier: string) =>
          all
            .filter((m) => m.tier === tier)
            .sort((a, b) => cos(b.v, query) - cos(a.v, query))
            .slice(0, 10)
            .map((m) => m.id);
        const search = (tier: string) =>
          env.loci.memory.search({
            namespace: "big",
            query: "",
            queryEmbedding: query,
            mode: "vector",
            metadataFilter: { tier },
          });
        const rare = await search("rare");
        expect(rare.map((h) => h.memory.id)).toEqual(truth("rare"));
        const common = await search("common");
        expect(common).toHaveLength(10);
        expect(common.every((h) => h.memory.metadata.tier === "common")).toBe(true);
        found += common.filter((h) => truth("common").includes(h.memory.id)).length;
      }
      expect(found / 100).toBeGreaterThanOrEqual(0.9);
    } finally {
      await env.cleanup();
    }
  });
});
