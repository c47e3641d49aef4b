import { NodeRelationship, TextNode } from "@llamaindex/core/schema";
import type { MetadataFilter, MetadataFilters } from "@llamaindex/core/vector-store";
import { HashEmbedder } from "@loci/engine";
import { openTempEngine, type TempEngine } from "@loci/engine/testing";
import { SimpleVectorStore } from "llamaindex";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LociEmbedding } from "./loci-embedding.js";
import { LociVectorStore } from "./loci-vector-store.js";

/** Rows with missing keys, empty strings and nulls: where filter semantics usually drift. */
const ROWS: [string, Record<string, unknown>][] = [
  ["n1", { color: "red", size: 1, note: "" }],
  ["n2", { color: "blue", size: 5, note: "keep" }],
  ["n3", { size: 10 }],
  ["n4", { color: "red", note: "x" }],
];

const cases: MetadataFilter[] = [
  { key: "color", operator: "!=", value: "red" },
  { key: "color", operator: "nin", value: ["red"] },
  { key: "size", operator: "!=", value: 5 },
  { key: "size", operator: "nin", value: [1, 10] },
  { key: "note", operator: "is_empty" },
  { key: "color", operator: "is_empty" },
  { key: "color", operator: "==", value: "red" },
  { key: "size", operator: ">", value: 1 },
];

describe("LociVectorStore filters match LlamaIndex's SimpleVectorStore", () => {
  let env: TempEngine;
  let loci: LociVectorStore;
  let reference: SimpleVectorStore;
  let queryEmbedding: number[];

  beforeEach(async () => {
    const embedder = new HashEmbedder({ dimensions: 64 });
    env = await openTempEngine({ embedder });
    const embedModel = new LociEmbedding({ embedder });
    loci = new LociVectorStore({ client: env.loci, namespace: "filters", embedModel });
    reference = new SimpleVectorStore({ embedModel });
    const nodes = async () =>
      Promise.all(
        ROWS.map(async ([id, metadata]) => {
          const n = new TextNode({
            id_: id,
            text: `row ${id}`,
            metadata: { ...metadata },
            relationships: { [NodeRelationship.SOURCE]: { nodeId: `doc-${id}`, metadata: {} } },
          });
          n.embedding = await embedModel.getTextEmbedding(n.text);
          return n;
        }),
      );
    await loci.add(await nodes());
    await reference.add(await nodes());
    queryEmbedding = await embedModel.getTextEmbedding("row");
  });
  afterEach(async () => {
    await env.cleanup();
  });

  const ids = async (store: LociVectorStore | SimpleVectorStore, filters: MetadataFilters) =>
    (await store.query({ queryEmbedding, similarityTopK: 10, mode: "default" as never, filters })).ids.sort();

  it.each(cases)("operator $operator on $key (missing keys, empty strings)", async (f) => {
    const filters: MetadataFilters = { filters: [f] };
    expect(await ids(loci, filters)).toEqual(await ids(reference, filters));
  });

  it("or-combined negations exclude nodes without the key", async () => {
    const filters: MetadataFilters = {
      filters: [
        { key: "color", operator: "!=", value: "red" },
        { key: "size", operator: "nin", value: [1, 5, 10] },
      ],
      condition: "or",
    };
    expect(await ids(loci, filters)).toEqual(await ids(reference, filters));
    expect(await ids(loci, filters)).toEqual(["n2"]);
  });
});
