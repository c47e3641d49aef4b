import { Document } from "@langchain/core/documents";
import { HashEmbedder } from "@loci/engine";
import { openTempEngine, type TempEngine } from "@loci/engine/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LociEmbeddings } from "./embeddings.js";
import { LociVectorStore } from "./vector-store.js";

describe("LociEmbeddings", () => {
  it("returns the wrapped embedder's vectors as number arrays", async () => {
    const embedder = new HashEmbedder({ dimensions: 64 });
    const e = new LociEmbeddings({ embedder });
    const [a, b] = await e.embedDocuments(["hello world", "other"]);
    expect(a).toHaveLength(64);
    expect(Array.isArray(a)).toBe(true);
    expect(a).toEqual(Array.from((await embedder.embed(["hello world"]))[0]!));
    expect(await e.embedQuery("other")).toEqual(b);
    expect(await e.embedDocuments([])).toEqual([]);
    expect(e.dimensions).toBe(64);
  });
});

describe("LociVectorStore", () => {
  let env: TempEngine;
  let embeddings: LociEmbeddings;
  beforeEach(async () => {
    const embedder = new HashEmbedder({ dimensions: 256 });
    env = await openTempEngine({ embedder });
    embeddings = new LociEmbeddings({ embedder });
  });
  afterEach(async () => {
    await env.cleanup();
  });

  const texts = [
    "Acme Corp renews its contract in Q2",
    "The office coffee machine is broken",
    "Globex is evaluating the enterprise plan",
  ];
  const metas = [
    { customer: "acme", page: 1, tags: ["sales"] },
    { customer: "none", page: 2, nested: { a: [1, 2] } },
    { customer: "globex", page: 3 },
  ];

  it("fromTexts + similaritySearch returns documents with exact metadata and ids", async () => {
    const store = await LociVectorStore.fromTexts(texts, metas, embeddings, {
      client: env.loci,
      namespace: "docs",
    });
    const docs = await store.similaritySearch("coffee machine broken", 2);
    expect(docs).toHaveLength(2);
    expect(docs[0]!.pageContent).toBe(texts[1]);
    expect(docs[0]!.metadata).toEqual(metas[1]);
    expect(docs[0]!.id).toBeTypeOf("string");
    const m = await env.loci.memory.get({ namespace: "docs", id: docs[0]!.id! });
    expect(m.content).toBe(texts[1]);
  });

  it("similaritySearchWithScore ranks best first and honours filters", async () => {
    const store = await LociVectorStore.fromTexts(texts, metas, embeddings, {
      client: env.loci,
      namespace: "docs",
    });
    const scored = await store.similaritySearchWithScore("Acme contract renews", 3);
    expect(scored[0]![0].metadata.customer).toBe("acme");
    for (let i = 1; i < scored.length; i++) expect(scored[i - 1]![1]).toBeGreaterThanOrEqual(scored[i]![1]);
    const filtered = await store.similaritySearch("Acme contract renews", 3, { page: { $gte: 2 } });
    expect(filtered.map((d) => d.metadata.customer).sort()).toEqual(["globex", "none"]);
  });

  it("addDocuments with ids upserts; delete by ids and by filter", async () => {
    const store = new LociVectorStore(embeddings, { client: env.loci, namespace: "docs" });
    const ids = await store.addDocuments(
      [
        new Document({ pageContent: "first text", metadata: { k: 1 }, id: "doc-1" }),
        new Document({ pageContent: "second", metadata: { k: 2 } }),
      ],
      { ids: ["doc-1", "doc-2"] },
    );
    expect(ids).toEqual(["doc-1", "doc-2"]);
    await store.addDocuments(
      [new Document({ pageContent: "first text, revised", metadata: { k: 1, v: 2 } })],
      {
        ids: ["doc-1"],
      },
    );
    const doc1 = await env.loci.memory.get({ namespace: "docs", id: "doc-1" });
    expect(doc1.content).toBe("first text, revised");
    expect(doc1.metadata).toEqual({ k: 1, v: 2 });
    await store.addDocuments([new Document({ pageContent: "third", metadata: { k: 3 } })]);
    await store.delete({ ids: ["doc-2"] });
    await store.delete({ filter: { k: 3 } });
    const left = await env.loci.memory.list({ namespace: "docs" });
    expect(left.items.map((m) => m.id)).toEqual(["doc-1"]);
  });

  it("addVectors stores precomputed vectors; a base filter and session scope searches", async () => {
    await env.loci.session.create({ namespace: "docs", id: "s1" });
    const scoped = new LociVectorStore(embeddings, {
      client: env.loci,
      namespace: "docs",
      sessionId: "s1",
      filter: { team: "a" },
    });
    const other = new LociVectorStore(embeddings, { client: env.loci, namespace: "docs" });
    const vectors = await embeddings.embedDocuments(["alpha beta", "alpha gamma"]);
    await scoped.addVectors(vectors, [
      new Document({ pageContent: "alpha beta", metadata: { team: "a" } }),
      new Document({ pageContent: "alpha gamma", metadata: { team: "b" } }),
    ]);
    await other.addDocuments([new Document({ pageContent: "alpha beta", metadata: { team: "a" } })]);
    const hits = await scoped.similaritySearch("alpha", 10);
    expect(hits).toHaveLength(1);
    expect(hits[0]!.pageContent).toBe("alpha beta");
    expect(await other.similaritySearch("alpha", 10)).toHaveLength(3);
    // A scoped store deletes by filter within its scope only (session and base filter).
    await scoped.delete({ filter: {} });
    const left = await env.loci.memory.list({ namespace: "docs" });
    expect(left.items.map((m) => [m.content, m.sessionId, m.metadata.team])).toEqual([
      ["alpha gamma", "s1", "b"],
      ["alpha beta", null, "a"],
    ]);
  });

  it("maxMarginalRelevanceSearch and asRetriever({ searchType: 'mmr' }) diversify", async () => {
    const store = await LociVectorStore.fromTexts(
      ["sourdough bread recipe", "sourdough bread recipe!", "typescript generics guide"],
      {},
      embeddings,
      { client: env.loci, namespace: "mmr" },
    );
    const mmr = await store.maxMarginalRelevanceSearch("sourdough bread recipe", {
      k: 2,
      fetchK: 3,
      lambda: 0.3,
    });
    expect(mmr).toHaveLength(2);
    expect(mmr.map((d) => d.pageContent)).toContain("typescript generics guide");
    const retriever = store.asRetriever({
      k: 2,
      searchType: "mmr",
      searchKwargs: { fetchK: 3, lambda: 0.3 },
    });
    expect((await retriever.invoke("sourdough bread recipe")).map((d) => d.pageContent)).toContain(
      "typescript generics guide",
    );
    const plain = await store.asRetriever(1).invoke("typescript generics");
    expect(plain[0]!.pageContent).toBe("typescript generics guide");
  });
});
