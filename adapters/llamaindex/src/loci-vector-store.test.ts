import { Settings } from "@llamaindex/core/global";
import {
  BaseLLM,
  type ChatResponse,
  type ChatResponseChunk,
  type LLMChatParamsNonStreaming,
  type LLMChatParamsStreaming,
  type LLMMetadata,
} from "@llamaindex/core/llms";
import { Document, MetadataMode, NodeRelationship, TextNode } from "@llamaindex/core/schema";
import { KVDocumentStore } from "@llamaindex/core/storage/doc-store";
import { KVIndexStore } from "@llamaindex/core/storage/index-store";
import { extractText } from "@llamaindex/core/utils";
import type { MetadataFilters } from "@llamaindex/core/vector-store";
import { type Embedder, HashEmbedder, type MemoryClient } from "@loci/engine";
import { openTempEngine, type TempEngine } from "@loci/engine/testing";
import { startTestServer } from "@loci/server/testing";
import { storageContextFromDefaults, VectorStoreIndex } from "llamaindex";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LociEmbedding } from "./loci-embedding.js";
import { LociKVStore } from "./loci-kv-store.js";
import { LociVectorStore, toLociFilter } from "./loci-vector-store.js";

/** A HashEmbedder that counts the texts it embeds. */
class CountingEmbedder implements Embedder {
  readonly inner = new HashEmbedder({ dimensions: 256 });
  readonly id = this.inner.id;
  readonly dimensions = this.inner.dimensions;
  texts = 0;
  embed(texts: readonly string[]): Promise<Float32Array[]> {
    this.texts += texts.length;
    return this.inner.embed(texts);
  }
}

/** A deterministic LLM: answers with "ECHO:" and the whole prompt (which contains the retrieved context). */
class EchoLLM extends BaseLLM {
  metadata: LLMMetadata = {
    model: "echo",
    temperature: 0,
    topP: 1,
    contextWindow: 100_000,
    tokenizer: undefined,
    structuredOutput: false,
  };
  prompts: string[] = [];

  chat(params: LLMChatParamsStreaming): Promise<AsyncIterable<ChatResponseChunk>>;
  chat(params: LLMChatParamsNonStreaming): Promise<ChatResponse>;
  async chat(
    params: LLMChatParamsStreaming | LLMChatParamsNonStreaming,
  ): Promise<AsyncIterable<ChatResponseChunk> | ChatResponse> {
    const prompt = params.messages.map((m) => extractText(m.content)).join("\n");
    this.prompts.push(prompt);
    const answer = `ECHO: ${prompt}`;
    if (params.stream) {
      return (async function* () {
        yield { delta: answer, raw: null };
      })();
    }
    return { message: { role: "assistant", content: answer }, raw: null };
  }
}

const docs = (): Document[] => [
  new Document({
    id_: "doc-penguins",
    text: "Emperor penguins breed in Antarctica during the winter and huddle against the cold wind.",
    metadata: { topic: "birds", year: 2021 },
  }),
  new Document({
    id_: "doc-volcano",
    text: "Mount Etna is an active volcano in Sicily that erupts lava and ash frequently.",
    metadata: { topic: "geology", year: 2019 },
  }),
  new Document({
    id_: "doc-bread",
    text: "Sourdough bread needs a starter culture, flour, water and a long slow fermentation.",
    metadata: { topic: "cooking", year: 2023 },
  }),
];

/** Builds the stores over one client. */
function stores(client: MemoryClient, embedModel: LociEmbedding) {
  const vectorStore = new LociVectorStore({ client, namespace: "li-nodes", embedModel });
  const kv = new LociKVStore({ client, namespace: "li-kv" });
  return { vectorStore, docStore: new KVDocumentStore(kv), indexStore: new KVIndexStore(kv, "index_store") };
}

async function buildIndex(client: MemoryClient, embedModel: LociEmbedding) {
  const storageContext = await storageContextFromDefaults(stores(client, embedModel));
  return Settings.withEmbedModel(embedModel, () =>
    VectorStoreIndex.fromDocuments(docs(), { storageContext }),
  );
}

async function topDocIds(index: VectorStoreIndex, query: string, k = 1): Promise<string[]> {
  const hits = await index.asRetriever({ similarityTopK: k }).retrieve({ query });
  return hits.map((h) => h.node.sourceNode?.nodeId ?? "?");
}

describe("LociVectorStore over the in-process engine", () => {
  let env: TempEngine;
  let embedder: CountingEmbedder;
  let embedModel: LociEmbedding;
  beforeEach(async () => {
    embedder = new CountingEmbedder();
    env = await openTempEngine({ embedder: embedder.inner });
    embedModel = new LociEmbedding({ embedder });
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("indexes documents, retrieves them, answers with a query engine and survives a reopen without re-embedding", async () => {
    const index = await buildIndex(env.loci, embedModel);
    const embeddedAtBuild = embedder.texts;
    expect(embeddedAtBuild).toBeGreaterThanOrEqual(3);

    expect(await topDocIds(index, "penguins in Antarctica")).toEqual(["doc-penguins"]);
    expect(await topDocIds(index, "volcano lava Sicily")).toEqual(["doc-volcano"]);
    const [hit] = await index
      .asRetriever({ similarityTopK: 1 })
      .retrieve({ query: "sourdough starter flour" });
    expect(hit?.node.metadata).toMatchObject({ topic: "cooking", year: 2023 });
    expect(hit?.node.relationships[NodeRelationship.SOURCE]).toMatchObject({ nodeId: "doc-bread" });
    expect(hit?.node.getContent(MetadataMode.NONE)).toContain("Sourdough bread");
    expect(hit?.score).toBeGreaterThan(0);

    // The memories are plain Loci memories, with the node text as content.
    const nodes = await env.loci.memory.list({ namespace: "li-nodes" });
    expect(nodes.items.map((m) => m.metadata.ref_doc_id).sort()).toEqual([
      "doc-bread",
      "doc-penguins",
      "doc-volcano",
    ]);

    // Query engine with a deterministic LLM answers from the retrieved context.
    const llm = new EchoLLM();
    const response = await Settings.withLLM(llm, () =>
      index.asQueryEngine({ similarityTopK: 1 }).query({ query: "Where do emperor penguins breed?" }),
    );
    expect(response.message.content).toContain("Emperor penguins breed in Antarctica");
    expect(response.message.content).not.toContain("Etna");
    expect(response.sourceNodes?.[0]?.node.sourceNode?.nodeId).toBe("doc-penguins");

    // Reopen from the same data directory: the doc store, index store and vectors are all there.
    const loci = await env.reopen();
    const before = embedder.texts;
    const s = stores(loci, embedModel);
    const storageContext = await storageContextFromDefaults(s);
    expect(Object.values(await s.docStore.getAllDocumentHashes()).sort()).toEqual([
      "doc-bread",
      "doc-penguins",
      "doc-volcano",
    ]);
    const reloaded = await Settings.withEmbedModel(embedModel, () =>
      VectorStoreIndex.init({ storageContext }),
    );
    expect(reloaded.indexStruct.indexId).toBe(index.indexStruct.indexId);
    expect(await topDocIds(reloaded, "penguins in Antarctica")).toEqual(["doc-penguins"]);
    const fromStore = await Settings.withEmbedModel(embedModel, () =>
      VectorStoreIndex.fromVectorStore(s.vectorStore),
    );
    expect(await topDocIds(fromStore, "volcano lava Sicily")).toEqual(["doc-volcano"]);
    // Only the two query strings were embedded: no document was embedded again.
    expect(embedder.texts - before).toBe(2);

    // Re-ingesting unchanged documents into the reloaded storage embeds nothing either (doc-store hashes match).
    const again = embedder.texts;
    await Settings.withEmbedModel(embedModel, () =>
      VectorStoreIndex.fromDocuments(docs(), { storageContext }),
    );
    expect(embedder.texts - again).toBe(0);
  });

  it("deleteRefDoc / delete(refDocId) removes every node of a document", async () => {
    const vectorStore = new LociVectorStore({ client: env.loci, namespace: "v", embedModel });
    const nodes = ["a1", "a2", "a3"].map(
      (id, i) =>
        new TextNode({
          id_: id,
          text: `chunk ${i} of document A about rivers`,
          relationships: { [NodeRelationship.SOURCE]: { nodeId: "doc-A", metadata: {} } },
        }),
    );
    nodes.push(
      new TextNode({
        id_: "b1",
        text: "document B about mountains",
        relationships: { [NodeRelationship.SOURCE]: { nodeId: "doc-B", metadata: {} } },
      }),
    );
    for (const n of nodes) n.embedding = await embedModel.getTextEmbedding(n.text);
    expect(await vectorStore.add(nodes)).toEqual(["a1", "a2", "a3", "b1"]);
    // Adding the same ids again replaces them (no ALREADY_EXISTS).
    nodes[0]!.text = "chunk 0 rewritten about rivers";
    await vectorStore.add(nodes);
    expect((await env.loci.memory.get({ namespace: "v", id: "a1" })).content).toBe(
      "chunk 0 rewritten about rivers",
    );

    await vectorStore.delete("doc-A");
    const left = await env.loci.memory.list({ namespace: "v" });
    expect(left.items.map((m) => m.id)).toEqual(["b1"]);

    // Through the index too.
    const index = await buildIndex(env.loci, embedModel);
    await index.deleteRefDoc("doc-volcano");
    const after = await env.loci.memory.list({ namespace: "li-nodes" });
    expect(after.items.some((m) => m.metadata.ref_doc_id === "doc-volcano")).toBe(false);
    expect(after.items).toHaveLength(2);
  });

  describe("filters, modes and docIds", () => {
    let store: LociVectorStore;
    const q = (filters?: MetadataFilters, extra: Record<string, unknown> = {}) =>
      store
        .query({
          queryStr: "report",
          similarityTopK: 10,
          mode: "default" as never,
          ...(filters ? { filters } : {}),
          ...extra,
        })
        .then((r) => r.ids.sort());

    beforeEach(async () => {
      store = new LociVectorStore({ client: env.loci, namespace: "f", embedModel });
      const rows: [string, Record<string, unknown>][] = [
        ["n1", { color: "red", size: 1, tags: ["a", "b"], title: "quarterly sales report" }],
        ["n2", { color: "blue", size: 5, tags: ["b", "c"], title: "annual report" }],
        ["n3", { color: "green", size: 10, tags: [], title: "incident report" }],
        ["n4", { color: "red", size: 7, title: "weekly report" }],
      ];
      const nodes = rows.map(([id, metadata]) => {
        const n = new TextNode({
          id_: id,
          text: `${metadata.title} text`,
          metadata,
          relationships: { [NodeRelationship.SOURCE]: { nodeId: `doc-${id}`, metadata: {} } },
        });
        return n;
      });
      for (const n of nodes) n.embedding = await embedModel.getTextEmbedding(n.text);
      await store.add(nodes);
    });

    it("maps every LlamaIndex operator", async () => {
      const one = (key: string, operator: string, value?: unknown) =>
        q({ filters: [{ key, operator, ...(value === undefined ? {} : { value }) } as never] });
      expect(await one("color", "==", "red")).toEqual(["n1", "n4"]);
      expect(await one("color", "!=", "red")).toEqual(["n2", "n3"]);
      expect(await one("size", ">", 5)).toEqual(["n3", "n4"]);
      expect(await one("size", ">=", 5)).toEqual(["n2", "n3", "n4"]);
      expect(await one("size", "<", 5)).toEqual(["n1"]);
      expect(await one("size", "<=", 5)).toEqual(["n1", "n2"]);
      expect(await one("color", "in", ["blue", "green"])).toEqual(["n2", "n3"]);
      expect(await one("color", "nin", ["blue", "green"])).toEqual(["n1", "n4"]);
      expect(await one("tags", "any", ["a", "c"])).toEqual(["n1", "n2"]);
      expect(await one("tags", "all", ["b", "c"])).toEqual(["n2"]);
      expect(await one("tags", "contains", "b")).toEqual(["n1", "n2"]);
      expect(await one("title", "text_match", "sales")).toEqual(["n1"]);
      expect(await one("tags", "is_empty")).toEqual(["n3", "n4"]);
    });

    it("combines filters with and / or, and restricts to docIds", async () => {
      expect(
        await q({
          filters: [
            { key: "color", value: "red", operator: "==" },
            { key: "size", value: 5, operator: ">" },
          ],
          condition: "and",
        }),
      ).toEqual(["n4"]);
      expect(
        await q({
          filters: [
            { key: "color", value: "blue", operator: "==" },
            { key: "size", value: 10, operator: ">=" },
          ],
          condition: "or",
        }),
      ).toEqual(["n2", "n3"]);
      expect(await q(undefined, { docIds: ["doc-n1", "n3"] })).toEqual(["n1", "n3"]);
    });

    it("rejects operators and modes it cannot map, with a clear error", async () => {
      expect(() => toLociFilter({ filters: [{ key: "x", value: 1, operator: "~=" as never }] })).toThrow(
        /unsupported metadata filter operator "~="/,
      );
      await expect(q(undefined, { mode: "svm" })).rejects.toThrow(/unsupported query mode "svm"/);
      expect(() => toLociFilter({ filters: [{ key: "x", operator: "==" }] })).toThrow(/needs a value/);
    });

    it("supports hybrid and sparse (keyword) modes and returns similarities", async () => {
      const sparse = await store.query({ queryStr: "incident", similarityTopK: 2, mode: "sparse" as never });
      expect(sparse.ids[0]).toBe("n3");
      expect(sparse.similarities[0]).toBeGreaterThan(0);
      const hybrid = await store.query({
        queryStr: "quarterly sales",
        queryEmbedding: await embedModel.getTextEmbedding("quarterly sales"),
        similarityTopK: 1,
        mode: "hybrid" as never,
      });
      expect(hybrid.ids).toEqual(["n1"]);
      expect(hybrid.nodes?.[0]?.metadata.title).toBe("quarterly sales report");
      expect(hybrid.nodes?.[0]?.sourceNode?.nodeId).toBe("doc-n1");
    });
  });
});

describe("LociVectorStore through a real server (LociClient)", () => {
  it("indexes, retrieves, and reloads after a server restart without re-embedding documents", async () => {
    const embedder = new CountingEmbedder();
    const embedModel = new LociEmbedding({ embedder });
    const first = await startTestServer();
    let dataDir = first.dataDir;
    try {
      const index = await buildIndex(first.root, embedModel);
      expect(await topDocIds(index, "penguins in Antarctica")).toEqual(["doc-penguins"]);
      const filtered = await index
        .asRetriever({
          similarityTopK: 3,
          filters: { filters: [{ key: "year", value: 2020, operator: ">" }] },
        })
        .retrieve({ query: "volcano lava" });
      expect(filtered.map((h) => h.node.sourceNode?.nodeId).sort()).toEqual(["doc-bread", "doc-penguins"]);
      dataDir = first.dataDir;
    } finally {
      await first.stop({ keepData: true });
    }
    const second = await startTestServer({ dataDir });
    try {
      const before = embedder.texts;
      const s = stores(second.root, embedModel);
      const storageContext = await storageContextFromDefaults(s);
      const index = await Settings.withEmbedModel(embedModel, () =>
        VectorStoreIndex.init({ storageContext }),
      );
      expect(await topDocIds(index, "sourdough bread starter")).toEqual(["doc-bread"]);
      expect(embedder.texts - before).toBe(1);
      await s.vectorStore.delete("doc-bread");
      expect(await topDocIds(index, "sourdough bread starter", 3)).not.toContain("doc-bread");
    } finally {
      await second.stop();
    }
  });
});
