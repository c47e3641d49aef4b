import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { FunctionEmbedder } from "../embed/function.js";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";
import { EXACT_SEARCH_THRESHOLD } from "./ranking.js";

let env: TempEngine;
afterEach(async () => env?.cleanup());

describe("metadata filters are applied before the top-k cut", () => {
  it("never returns another customer's memory, even when 1,000 others rank higher", async () => {
    env = await openTempEngine();
    const query = "customer reports a double charge on the March invoice";
    await env.loci.memory.addMany({
      namespace: "support",
      memories: Array.from({ length: 1000 }, (_, i) => ({
        content: query,
        metadata: { customer_id: `cust_${i + 100}` },
      })),
    });
    const mine = await env.loci.memory.addMany({
      namespace: "support",
      memories: [
        { content: "cust_42 asked about invoice timing", metadata: { customer_id: "cust_42" } },
        { content: "a charge was disputed", metadata: { customer_id: "cust_42" } },
        { content: "loves the new dashboard", metadata: { customer_id: "cust_42" } },
      ],
    });
    for (const mode of ["hybrid", "vector", "keyword"] as const) {
      const hits = await env.loci.memory.search({
        namespace: "support",
        query,
        mode,
        limit: 10,
        metadataFilter: { customer_id: "cust_42" },
      });
      expect(hits.every((h) => h.memory.metadata.customer_id === "cust_42")).toBe(true);
      if (mode !== "keyword")
        expect(hits.map((h) => h.memory.id).sort()).toEqual(mine.map((m) => m.id).sort());
    }
  });

  it("still returns `limit` results through the ANN path when many memories match", async () => {
    env = await openTempEngine();
    const n = EXACT_SEARCH_THRESHOLD + 300;
    const batch = (offset: number, count: number, meta: (i: number) => Record<string, string>) =>
      Array.from({ length: count }, (_, i) => ({
        content: `ticket ${offset + i} about billing`,
        metadata: meta(i),
      }));
    for (let i = 0; i < n; i += 1000) {
      await env.loci.memory.addMany({
        namespace: "big",
        memories: batch(i, Math.min(1000, n - i), () => ({ tier: "gold" })),
      });
    }
    await env.loci.memory.addMany({
      namespace: "big",
      memories: batch(0, 500, () => ({ tier: "free" })).map((m) => ({
        ...m,
        content: "ticket about billing",
      })),
    });
    const hits = await env.loci.memory.search({
      namespace: "big",
      query: "ticket about billing",
      limit: 50,
      metadataFilter: { tier: { $eq: "gold" } },
    });
    expect(hits).toHaveLength(50);
    expect(hits.every((h) => h.memory.metadata.tier === "gold")).toBe(true);
  });

  it("filters by session before the cut", async () => {
    env = await openTempEngine();
    await env.loci.session.create({ namespace: "s", id: "run-1" });
    await env.loci.session.create({ namespace: "s", id: "run-2" });
    await env.loci.memory.addMany({
      namespace: "s",
      memories: Array.from({ length: 50 }, () => ({
        content: "deploy failed on step 3",
        sessionId: "run-1",
      })),
    });
    const other = await env.loci.memory.add({ namespace: "s", content: "deploy notes", sessionId: "run-2" });
    const hits = await env.loci.memory.search({
      namespace: "s",
      query: "deploy failed on step 3",
      sessionId: "run-2",
    });
    expect(hits.map((h) => h.memory.id)).toEqual([other.id]);
  });
});

describe("hybrid search", () => {
  // A tiny concept embedder: words map to concept axes, so synonyms meet in vector space
  // while sharing no keyword; codes such as "INV-7731" have no concept at all.
  const CONCEPTS: Record<string, number> = {
    car: 0,
    automobile: 0,
    vehicle: 0,
    insurance: 1,
    policy: 1,
    coverage: 1,
    cat: 2,
    kitten: 2,
    weather: 3,
    storm: 3,
  };
  const embedder = new FunctionEmbedder({
    id: "concepts-v1",
    dimensions: 5,
    embed: (texts) =>
      texts.map((t) => {
        const v = [0, 0, 0, 0, 0.05];
        for (const w of t.toLowerCase().split(/\W+/)) if (w in CONCEPTS) v[CONCEPTS[w]!]! += 1;
        return v;
      }),
  });

  it("finds what keyword-only and vector-only each miss", async () => {
    env = await openTempEngine({ embedder });
    const semantic = await env.loci.memory.add({ namespace: "h", content: "automobile coverage details" });
    const exact = await env.loci.memory.add({
      namespace: "h",
      content: "claim INV-7731 was filed yesterday",
    });
    await env.loci.memory.addMany({
      namespace: "h",
      memories: [
        { content: "vehicle policy vehicle" },
        { content: "automobile" },
        { content: "claim filed for the kitten" },
        { content: "storm weather claim" },
      ],
    });
    const query = "car insurance claim INV-7731";
    const ids = async (mode: "hybrid" | "vector" | "keyword") =>
      (await env.loci.memory.search({ namespace: "h", query, mode, limit: 3 })).map((r) => r.memory.id);
    const vector = await ids("vector");
    const keyword = await ids("keyword");
    const hybrid = await ids("hybrid");
    expect(vector).not.toContain(exact.id);
    expect(keyword).not.toContain(semantic.id);
    expect(hybrid).toContain(exact.id);
    expect(hybrid).toContain(semantic.id);
  });
});

describe("ranking details", () => {
  it("searches several namespaces at once and says where each hit came from", async () => {
    env = await openTempEngine();
    await env.loci.memory.add({
      namespace: "researcher",
      content: "private note: the API rate limit is 100/min",
    });
    await env.loci.memory.add({
      namespace: "team-shared",
      content: "final: rate limit confirmed at 100 requests per minute",
    });
    await env.loci.memory.add({ namespace: "writer", content: "draft about rate limits" });
    const hits = await env.loci.memory.search({
      namespaces: ["researcher", "team-shared"],
      query: "rate limit",
      limit: 5,
    });
    expect(hits.map((h) => h.namespace).sort()).toEqual(["researcher", "team-shared"]);
    expect(hits[0]!.score).toBeGreaterThanOrEqual(hits[1]!.score);
  });

  it("a vector search cutting through tied memories keeps the newest of them, whatever the graph walk reaches", async () => {
    env = await openTempEngine();
    const same = Array.from({ length: 6 }, () => ({ content: "identical text about the quarterly report" }));
    const added = [];
    for (const m of same) added.push(await env.loci.memory.add({ namespace: "ties", ...m }));
    await env.loci.memory.add({ namespace: "ties", content: "something else entirely" });
    await env.loci.whenIndexed({ namespace: "ties" });
    const hits = await env.loci.memory.search({
      namespace: "ties",
      query: "identical text about the quarterly report",
      mode: "vector",
      limit: 3,
    });
    expect(hits.map((h) => h.memory.id)).toEqual(
      added
        .slice(-3)
        .reverse()
        .map((m) => m.id),
    );
  });

  it("applies minScore and recencyWeight (w = 1 orders matches by age)", async () => {
    const clock = new ManualClock();
    env = await openTempEngine({ clock });
    const old = await env.loci.memory.add({ namespace: "e", content: "severity high: database outage" });
    clock.advance({ hours: 48 });
    const fresh = await env.loci.memory.add({
      namespace: "e",
      content: "severity high: cache outage noticed",
    });
    const byAge = await env.loci.memory.search({
      namespace: "e",
      query: "database outage",
      recencyWeight: 1,
    });
    expect(byAge.map((h) => h.memory.id)).toEqual([fresh.id, old.id]);
    expect(byAge[1]!.scores.recency).toBeCloseTo(2 ** (-48 / 168), 10);
    const byRelevance = await env.loci.memory.search({ namespace: "e", query: "database outage" });
    expect(byRelevance[0]!.memory.id).toBe(old.id);
    const strict = await env.loci.memory.search({ namespace: "e", query: "database outage", minScore: 0.99 });
    expect(strict.length).toBeLessThan(byRelevance.length);
    expect(strict.every((h) => h.score >= 0.99)).toBe(true);
  });

  it("fuses by reciprocal rank with fusion: rrf, and validates fusion options", async () => {
    env = await openTempEngine();
    await env.loci.memory.addMany({
      namespace: "f",
      memories: [
        { content: "alpha beta gamma" },
        { content: "alpha beta" },
        { content: "alpha" },
        { content: "delta" },
      ],
    });
    const hits = await env.loci.memory.search({
      namespace: "f",
      query: "alpha beta gamma",
      fusion: "rrf",
      limit: 4,
    });
    expect(hits[0]!.memory.content).toBe("alpha beta gamma");
    // Best on both sides: rank 1 twice gives the maximum, scaled to exactly 1.
    expect(hits[0]!.scores.relevance).toBeCloseTo(1, 10);
    for (const h of hits) expect(h.scores.relevance).toBeLessThanOrEqual(1);
    const weighted = await env.loci.memory.search({
      namespace: "f",
      query: "alpha beta gamma",
      vectorWeight: 1,
      limit: 4,
    });
    for (const h of weighted) expect(h.scores.relevance).toBeCloseTo(h.scores.vector, 10);
    await expect(
      env.loci.memory.search({ namespace: "f", query: "x", fusion: "max" as never }),
    ).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    await expect(
      env.loci.memory.search({ namespace: "f", query: "x", vectorWeight: 2 }),
    ).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });

  it("recall is search with topK", async () => {
    env = await openTempEngine();
    await env.loci.memory.addMany({
      namespace: "r",
      memories: [{ content: "one fish" }, { content: "two fish" }],
    });
    expect(await env.loci.memory.recall({ namespace: "r", query: "fish", topK: 1 })).toHaveLength(1);
  });
});

describe("ties", () => {
  it("orders memories pointing away from the query by their true cosine, not by age", async () => {
    const vectors: Record<string, number[]> = {
      query: [1, 0, 0],
      near: [0.6, 0.8, 0],
      slightlyAway: [-0.1, 1, 0],
      farAway: [-0.95, 0.3, 0],
    };
    const embedder = new FunctionEmbedder({
      id: "ties",
      dimensions: 3,
      embed: (texts) => texts.map((t) => vectors[t] ?? [0, 0, 1]),
    });
    env = await openTempEngine({ embedder });
    // Oldest first, so that ordering by seq (newest first) would put farAway before slightlyAway.
    for (const content of ["slightlyAway", "farAway", "near"]) {
      await env.loci.memory.add({ namespace: "t", content, metadata: { k: 1 } });
    }
    const hits = await env.loci.memory.search({
      namespace: "t",
      query: "query",
      mode: "vector",
      metadataFilter: { k: 1 },
    });
    expect(hits.map((h) => h.memory.content)).toEqual(["near", "slightlyAway", "farAway"]);
    expect(hits[1]!.scores.vector).toBe(0); // clamped: both away-pointing memories score 0
    expect(hits[2]!.scores.vector).toBe(0);
  });
});
