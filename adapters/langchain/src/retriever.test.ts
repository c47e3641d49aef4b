import { HashEmbedder } from "@loci/engine";
import { openTempEngine, type TempEngine } from "@loci/engine/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LociRetriever } from "./retriever.js";

describe("LociRetriever", () => {
  let env: TempEngine;
  beforeEach(async () => {
    env = await openTempEngine({ embedder: new HashEmbedder({ dimensions: 256 }) });
    const loci = env.loci;
    await loci.memory.add({
      namespace: "private",
      content: "Acme renews in Q2",
      metadata: { customer: "acme" },
    });
    await loci.memory.add({
      namespace: "shared",
      content: "Acme prefers annual billing",
      metadata: { customer: "acme" },
    });
    await loci.memory.add({
      namespace: "shared",
      content: "Globex renews in Q4",
      metadata: { customer: "globex" },
    });
    await loci.memory.add({ namespace: "other", content: "Acme renews in Q2 (other team)" });
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("searches several namespaces and returns documents with score, breakdown, namespace and id", async () => {
    const retriever = new LociRetriever({ client: env.loci, namespaces: ["private", "shared"], limit: 5 });
    const docs = await retriever.invoke("Acme renews");
    expect(docs.length).toBe(3);
    expect(docs[0]!.pageContent).toBe("Acme renews in Q2");
    expect(docs[0]!.metadata.namespace).toBe("private");
    expect(docs[0]!.metadata.customer).toBe("acme");
    expect(docs[0]!.metadata.memoryId).toBe(docs[0]!.id);
    expect(docs[0]!.metadata.score).toBeGreaterThan(0);
    expect(Object.keys(docs[0]!.metadata.scores).sort()).toEqual([
      "context",
      "graph",
      "keyword",
      "recency",
      "relevance",
      "retention",
      "time",
      "vector",
    ]);
    expect(new Set(docs.map((d) => d.metadata.namespace))).toEqual(new Set(["private", "shared"]));
    for (let i = 1; i < docs.length; i++)
      expect(docs[i - 1]!.metadata.score).toBeGreaterThanOrEqual(docs[i]!.metadata.score);
  });

  it("honours limit and metadataFilter", async () => {
    const one = new LociRetriever({ client: env.loci, namespaces: ["private", "shared"], limit: 1 });
    expect(await one.invoke("Acme")).toHaveLength(1);
    const filtered = new LociRetriever({
      client: env.loci,
      namespaces: ["shared"],
      metadataFilter: { customer: "globex" },
    });
    expect((await filtered.invoke("renews")).map((d) => d.pageContent)).toEqual(["Globex renews in Q4"]);
  });

  it("graph-aware recall finds memories linked to entities near the one named in the query", async () => {
    const loci = env.loci;
    await loci.knowledgeGraph.addEdge({
      namespace: "crm",
      source: { type: "person", name: "Alice Chen" },
      target: { type: "company", name: "Acme Corp" },
      edgeType: "works_at",
    });
    await loci.memory.add({
      namespace: "crm",
      content: "Renewal call scheduled for March",
      entities: [{ type: "company", name: "Acme Corp" }],
    });
    await loci.memory.add({ namespace: "crm", content: "Lunch menu for Friday" });
    const plain = new LociRetriever({ client: loci, namespaces: ["crm"], limit: 1 });
    const graph = new LociRetriever({
      client: loci,
      namespaces: ["crm"],
      limit: 1,
      graph: { depth: 1, weight: 0.9 },
    });
    const docs = await graph.invoke("what is Alice Chen working on?");
    expect(docs[0]!.pageContent).toBe("Renewal call scheduled for March");
    expect(docs[0]!.metadata.scores.graph).toBeGreaterThan(0);
    const plainDocs = await plain.invoke("what is Alice Chen working on?");
    expect(plainDocs[0]?.metadata.scores.graph ?? 0).toBe(0);
  });

  it("passes Loci's ranking extras on (here the length prior), and LangChain's own options to LangChain", async () => {
    const loci = env.loci;
    await loci.memory.add({ namespace: "chat", content: "ok Acme" });
    const long =
      "Acme signed the renewal contract for three more years with the enterprise support plan and dedicated onboarding";
    await loci.memory.add({ namespace: "chat", content: long });
    const base = { client: loci, namespaces: ["chat"], mode: "keyword" as const, limit: 2 };
    const plain = await new LociRetriever(base).invoke("Acme");
    expect(plain.map((d) => d.pageContent)).toEqual(["ok Acme", long]); // BM25 favours the short one
    const prior = new LociRetriever({ ...base, lengthPrior: { weight: 1, terms: 20 }, tags: ["crm"] });
    expect((await prior.invoke("Acme")).map((d) => d.pageContent)).toEqual([long, "ok Acme"]);
    expect(prior.search).toEqual({ mode: "keyword", limit: 2, lengthPrior: { weight: 1, terms: 20 } });
    expect(prior.tags).toEqual(["crm"]);
    await expect(
      new LociRetriever({ ...base, lengthPrior: { weight: 2 } }).invoke("Acme"),
    ).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("rejects an empty namespace list and has a LangChain identity", () => {
    expect(() => new LociRetriever({ client: env.loci, namespaces: [] })).toThrow();
    const r = new LociRetriever({ client: env.loci, namespaces: ["x"] });
    expect(r.lc_namespace).toEqual(["loci", "retrievers"]);
  });
});
