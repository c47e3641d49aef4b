import { InMemoryStore } from "@langchain/langgraph-checkpoint";
import { HashEmbedder } from "@loci/engine";
import { openTempEngine } from "@loci/engine/testing";
import { describe, expect, it } from "vitest";
import { LociEmbeddings } from "./embeddings.js";
import { itemId, namespaceMetadata } from "./internal/store-encoding.js";
import { runStoreSuite } from "./store.case.js";
import { LociStore } from "./store.js";

const embedder = () => new HashEmbedder({ dimensions: 256 });

runStoreSuite(
  "InMemoryStore (reference)",
  async () => ({
    store: new InMemoryStore({
      index: { dims: 256, embeddings: new LociEmbeddings({ embedder: embedder() }) },
    }),
    cleanup: async () => {},
  }),
  { semantic: true },
);

runStoreSuite(
  "LociStore (in-process engine)",
  async () => {
    const env = await openTempEngine({ embedder: embedder() });
    return { store: new LociStore({ client: env.loci }), cleanup: () => env.cleanup() };
  },
  { semantic: true },
);

runStoreSuite(
  "LociStore (vector mode)",
  async () => {
    const env = await openTempEngine({ embedder: embedder() });
    return { store: new LociStore({ client: env.loci, mode: "vector" }), cleanup: () => env.cleanup() };
  },
  { semantic: true },
);

describe("LociStore encoding and Loci specifics", () => {
  it("item ids never collide across tuples", () => {
    const ids = new Set([
      itemId(["a", "b.c"], "k"),
      itemId(["a.b", "c"], "k"),
      itemId(["a\u001fb"], "k"),
      itemId(["a", "b"], "k"),
      itemId(["a"], "b\u001fk"),
      itemId(["a", "b"], ""),
      itemId(['a","b'], "k"),
    ]);
    expect(ids.size).toBe(7);
    expect(itemId(["a"], "k")).toMatch(/^lg_[0-9a-f]{64}$/);
    expect(namespaceMetadata(["a", "b.c"]).lg_p2).not.toBe(namespaceMetadata(["a.b", "c"]).lg_p2);
  });

  it("stores every item as a memory of one namespace, with the documented metadata", async () => {
    const env = await openTempEngine({ embedder: embedder() });
    try {
      const store = new LociStore({ client: env.loci, namespace: "lg" });
      await store.put(["users", "u1"], "prefs", { theme: "dark" });
      const m = await env.loci.memory.get({ namespace: "lg", id: itemId(["users", "u1"], "prefs") });
      expect(m.metadata).toMatchObject({
        lg_ns: ["users", "u1"],
        lg_key: "prefs",
        lg_p1: '["users"]',
        lg_p2: '["users","u1"]',
        lg_indexed: true,
        value: { theme: "dark" },
      });
      expect(m.content).toContain("dark");
      const list = await env.loci.namespace.list();
      expect(list.items.map((n) => n.name)).toEqual(["lg"]);
    } finally {
      await env.cleanup();
    }
  });

  it("search without a query returns the most recently updated first", async () => {
    const env = await openTempEngine({ embedder: embedder() });
    try {
      const store = new LociStore({ client: env.loci });
      for (const k of ["a", "b", "c"]) {
        await store.put(["r"], k, { k });
        await new Promise((r) => setTimeout(r, 3));
      }
      await store.put(["r"], "a", { k: "a2" });
      expect((await store.search(["r"])).map((i) => i.key)).toEqual(["a", "c", "b"]);
    } finally {
      await env.cleanup();
    }
  });

  it("a namespace whose last item is deleted is no longer listed (InMemoryStore keeps it)", async () => {
    const env = await openTempEngine({ embedder: embedder() });
    try {
      const store = new LociStore({ client: env.loci });
      await store.put(["a", "b"], "k", { v: 1 });
      await store.put(["a", "e"], "k", { v: 1 });
      await store.delete(["a", "e"], "k");
      expect(await store.listNamespaces({ prefix: ["a"] })).toEqual([["a", "b"]]);
    } finally {
      await env.cleanup();
    }
  });

  it("data survives a reopen of the engine", async () => {
    const env = await openTempEngine({ embedder: embedder() });
    try {
      await new LociStore({ client: env.loci }).put(["p"], "k", { v: 1 });
      const loci = await env.reopen();
      expect((await new LociStore({ client: loci }).get(["p"], "k"))!.value).toEqual({ v: 1 });
    } finally {
      await env.cleanup();
    }
  });
});
