import { getTopKMMREmbeddings } from "@llamaindex/core/embeddings";
import { Settings } from "@llamaindex/core/global";
import { MetadataMode, NodeRelationship, TextNode } from "@llamaindex/core/schema";
import {
  type MetadataFilters,
  type VectorStoreQuery,
  VectorStoreQueryMode,
} from "@llamaindex/core/vector-store";
import { HashEmbedder } from "@loci/engine";
import { openTempEngine, type TempEngine } from "@loci/engine/testing";
import { SimpleVectorStore, VectorStoreIndex } from "llamaindex";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LociEmbedding } from "./loci-embedding.js";
import { LociVectorStore } from "./loci-vector-store.js";

/** Three near-duplicates about the Acme renewal, and distinct notes that share some of its words. */
const ROWS: [id: string, text: string, team: string][] = [
  ["dup-1", "Acme renewed the annual support contract in Q2 for three years", "sales"],
  ["dup-2", "Acme renewed the annual support contract in Q2 for three years, signed", "sales"],
  ["dup-3", "Acme renewed annual support contract in Q2, for three years", "ops"],
  ["billing", "Acme billing disputes the support invoice from Q2", "ops"],
  ["travel", "The sales team travels to Acme headquarters next spring", "sales"],
  ["bread", "Sourdough bread needs a starter, flour, water and patience", "ops"],
];
const DUPS = new Set(["dup-1", "dup-2", "dup-3"]);
const QUERY = "Acme support contract renewal in Q2";

type MmrQuery = Omit<VectorStoreQuery, "queryEmbedding" | "mode">;

describe("LociVectorStore mmr mode", () => {
  let env: TempEngine;
  let embedModel: LociEmbedding;
  let loci: LociVectorStore;
  let reference: SimpleVectorStore;
  let queryEmbedding: number[];

  /** Fresh nodes with the embeddings VectorStoreIndex would compute (text + embed metadata). */
  const nodes = () =>
    Promise.all(
      ROWS.map(async ([id, text, team]) => {
        const n = new TextNode({
          id_: id,
          text,
          metadata: { team },
          relationships: { [NodeRelationship.SOURCE]: { nodeId: `doc-${id}`, metadata: {} } },
        });
        n.embedding = await embedModel.getTextEmbedding(n.getContent(MetadataMode.EMBED));
        return n;
      }),
    );

  beforeEach(async () => {
    const embedder = new HashEmbedder({ dimensions: 256 });
    env = await openTempEngine({ embedder });
    embedModel = new LociEmbedding({ embedder });
    loci = new LociVectorStore({ client: env.loci, namespace: "mmr", embedModel });
    reference = new SimpleVectorStore({ embedModel });
    await loci.add(await nodes());
    await reference.add(await nodes());
    queryEmbedding = await embedModel.getTextEmbedding(QUERY);
  });
  afterEach(async () => {
    await env.cleanup();
  });

  const mmr = (store: LociVectorStore | SimpleVectorStore, q: MmrQuery) =>
    store.query({ queryEmbedding, mode: VectorStoreQueryMode.MMR, ...q });

  it("with mmrThreshold 1 ranks by relevance alone, like SimpleVectorStore's default mode", async () => {
    const ours = await mmr(loci, { similarityTopK: 4, mmrThreshold: 1 });
    const theirs = await reference.query({
      queryEmbedding,
      similarityTopK: 4,
      mode: VectorStoreQueryMode.DEFAULT,
    });
    expect(ours.ids).toEqual(theirs.ids);
    expect(ours.ids.slice(0, 3).every((id) => DUPS.has(id))).toBe(true);
  });

  it("picks the same two nodes as SimpleVectorStore (which always uses threshold 0.5)", async () => {
    for (const mmrThreshold of [undefined, 0.5]) {
      const q: MmrQuery = { similarityTopK: 2, ...(mmrThreshold === undefined ? {} : { mmrThreshold }) };
      const ours = await mmr(loci, q);
      expect(ours.ids).toEqual((await mmr(reference, q)).ids);
      expect(ours.nodes?.map((n) => n.id_)).toEqual(ours.ids);
      expect(ours.similarities).toHaveLength(2);
    }
  });

  it.each([0.2, 0.35, 0.8])(
    "picks the same two nodes as LlamaIndex's getTopKMMREmbeddings (threshold %s)",
    async (t) => {
      const all = await nodes();
      const [, ids] = getTopKMMREmbeddings(
        queryEmbedding,
        all.map((n) => n.getEmbedding()),
        null,
        2,
        all.map((n) => n.id_),
        null,
        t,
      );
      expect((await mmr(loci, { similarityTopK: 2, mmrThreshold: t })).ids).toEqual(ids);
    },
  );

  it("applies filters before selecting, like SimpleVectorStore", async () => {
    const filters: MetadataFilters = { filters: [{ key: "team", operator: "==", value: "ops" }] };
    const ours = await mmr(loci, { similarityTopK: 2, mmrThreshold: 0.5, filters });
    expect(ours.ids).toEqual((await mmr(reference, { similarityTopK: 2, mmrThreshold: 0.5, filters })).ids);
    expect(ours.ids.every((id) => ROWS.find((r) => r[0] === id)?.[2] === "ops")).toBe(true);
    const docs = await mmr(loci, { similarityTopK: 3, mmrThreshold: 0.3, docIds: ["doc-dup-2", "bread"] });
    expect([...docs.ids].sort()).toEqual(["bread", "dup-2"]);
  });

  it("does not pick two near-duplicates when the threshold favours diversity", async () => {
    const relevant = await mmr(loci, { similarityTopK: 3, mmrThreshold: 1 });
    expect(relevant.ids.every((id) => DUPS.has(id))).toBe(true);
    const diverse = await mmr(loci, { similarityTopK: 3, mmrThreshold: 0.3 });
    expect(diverse.ids).toHaveLength(3);
    expect(diverse.ids[0]).toBe(relevant.ids[0]);
    // Every earlier pick counts (SimpleVectorStore compares with the latest pick only).
    expect(diverse.ids.filter((id) => DUPS.has(id))).toHaveLength(1);
  });

  it("returns each picked node's relevance score, and honours similarityTopK and mmrPrefetchK", async () => {
    const plain = await loci.query({
      queryEmbedding,
      similarityTopK: 10,
      mode: VectorStoreQueryMode.DEFAULT,
    });
    const score = new Map(plain.ids.map((id, i) => [id, plain.similarities[i]]));
    const diverse = await mmr(loci, { similarityTopK: 3, mmrThreshold: 0.3 });
    expect(diverse.similarities).toEqual(diverse.ids.map((id) => score.get(id)));
    expect((await mmr(loci, { similarityTopK: 10 })).ids).toHaveLength(ROWS.length);

    // Only the two most relevant nodes are candidates: diversity cannot reach further.
    const narrow = new LociVectorStore({ client: env.loci, namespace: "mmr", embedModel, mmrPrefetchK: 2 });
    expect((await mmr(narrow, { similarityTopK: 2, mmrThreshold: 0.1 })).ids).toEqual(plain.ids.slice(0, 2));
  });

  it("rejects an mmrThreshold outside [0, 1] and returns nothing for a missing namespace", async () => {
    await expect(mmr(loci, { similarityTopK: 2, mmrThreshold: 1.5 })).rejects.toThrow(/mmrThreshold/);
    const empty = new LociVectorStore({ client: env.loci, namespace: "nothing-here", embedModel });
    expect(await mmr(empty, { similarityTopK: 2 })).toEqual({ nodes: [], similarities: [], ids: [] });
  });

  it("serves a VectorStoreIndex retriever in mmr mode", async () => {
    const index = await Settings.withEmbedModel(embedModel, () => VectorStoreIndex.fromVectorStore(loci));
    const retriever = index.asRetriever({ mode: VectorStoreQueryMode.MMR, similarityTopK: 2 });
    const hits = await retriever.retrieve({ query: QUERY });
    expect(hits.map((h) => h.node.id_)).toEqual((await mmr(loci, { similarityTopK: 2 })).ids);
    expect(hits.filter((h) => DUPS.has(h.node.id_))).toHaveLength(1);
  });
});
