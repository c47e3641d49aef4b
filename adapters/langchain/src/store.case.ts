/**
 * A behaviour suite for LangGraph `BaseStore` implementations, modelled on `InMemoryStore`. Run it
 * against `InMemoryStore` (to prove the assertions) and against `LociStore`.
 *
 * @module
 */
import type { BaseStore, Item } from "@langchain/langgraph-checkpoint";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

/** What the suite's factory returns: a fresh, empty store and its teardown. */
export interface StoreFixture {
  store: BaseStore;
  cleanup: () => Promise<void>;
}

const keysOf = (items: Item[]) => items.map((i) => i.key).sort();

/**
 * Registers the suite. `create` must return an empty store whose semantic search (if
 * `semantic` is true) is configured with an embedding model that favours shared words.
 */
export function runStoreSuite(
  name: string,
  create: () => Promise<StoreFixture>,
  opts: { semantic?: boolean } = {},
): void {
  describe(`BaseStore suite: ${name}`, () => {
    let fx: StoreFixture;
    let store: BaseStore;
    beforeEach(async () => {
      fx = await create();
      store = fx.store;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it("puts and gets an item; a missing key is null", async () => {
      await store.put(["users", "u1"], "prefs", { theme: "dark", n: 1 });
      const item = await store.get(["users", "u1"], "prefs");
      expect(item).not.toBeNull();
      expect(item!.value).toEqual({ theme: "dark", n: 1 });
      expect(item!.key).toBe("prefs");
      expect(item!.namespace).toEqual(["users", "u1"]);
      expect(item!.createdAt).toBeInstanceOf(Date);
      expect(item!.updatedAt).toBeInstanceOf(Date);
      expect(await store.get(["users", "u1"], "nope")).toBeNull();
      expect(await store.get(["users", "u2"], "prefs")).toBeNull();
    });

    it("put on an existing key updates it and keeps createdAt", async () => {
      await store.put(["a"], "k", { v: 1 });
      const first = (await store.get(["a"], "k"))!;
      // Copy the times: InMemoryStore mutates the returned item in place on update.
      const created = first.createdAt.getTime();
      const updated = first.updatedAt.getTime();
      await new Promise((r) => setTimeout(r, 5));
      await store.put(["a"], "k", { v: 2, extra: "x" });
      const second = (await store.get(["a"], "k"))!;
      expect(second.value).toEqual({ v: 2, extra: "x" });
      expect(second.createdAt.getTime()).toBe(created);
      expect(second.updatedAt.getTime()).toBeGreaterThan(updated);
      expect(await store.search(["a"])).toHaveLength(1);
    });

    it("deletes an item; deleting a missing item is a no-op", async () => {
      await store.put(["a"], "k", { v: 1 });
      await store.delete(["a"], "k");
      expect(await store.get(["a"], "k")).toBeNull();
      await store.delete(["a"], "never");
      expect(await store.search(["a"])).toEqual([]);
    });

    it("keeps namespaces apart, including labels with separator-like characters", async () => {
      await store.put(["a"], "k", { v: "a" });
      await store.put(["a", "b"], "k", { v: "a/b" });
      await store.put(["a\u001fb"], "k", { v: "a^_b" });
      await store.put(["a b"], "k", { v: "a b" });
      expect((await store.get(["a"], "k"))!.value).toEqual({ v: "a" });
      expect((await store.get(["a", "b"], "k"))!.value).toEqual({ v: "a/b" });
      expect((await store.get(["a\u001fb"], "k"))!.value).toEqual({ v: "a^_b" });
      expect((await store.get(["a b"], "k"))!.value).toEqual({ v: "a b" });
      expect(await store.search(["a", "b"])).toHaveLength(1);
      expect(await store.search(["a\u001fb"])).toHaveLength(1);
    });

    it("searches by namespace prefix on whole labels", async () => {
      await store.put(["docs"], "1", { t: 1 });
      await store.put(["docs", "x"], "2", { t: 2 });
      await store.put(["docs", "x", "y"], "3", { t: 3 });
      await store.put(["docsx"], "4", { t: 4 });
      await store.put(["other"], "5", { t: 5 });
      expect(keysOf(await store.search(["docs"]))).toEqual(["1", "2", "3"]);
      expect(keysOf(await store.search(["docs", "x"]))).toEqual(["2", "3"]);
      expect(keysOf(await store.search([]))).toEqual(["1", "2", "3", "4", "5"]);
      expect(await store.search(["nothing"])).toEqual([]);
      for (const item of await store.search(["docs"])) expect(item.score).toBeUndefined();
    });

    it("filters on top-level value keys with every operator", async () => {
      await store.put(["f"], "a", { kind: "x", n: 1, tag: "red" });
      await store.put(["f"], "b", { kind: "x", n: 5, tag: "blue" });
      await store.put(["f"], "c", { kind: "y", n: 10 });
      const s = async (filter: Record<string, unknown>) => keysOf(await store.search(["f"], { filter }));
      expect(await s({ kind: "x" })).toEqual(["a", "b"]);
      expect(await s({ kind: { $eq: "y" } })).toEqual(["c"]);
      expect(await s({ kind: { $ne: "x" } })).toEqual(["c"]);
      expect(await s({ n: { $gt: 1 } })).toEqual(["b", "c"]);
      expect(await s({ n: { $gte: 5 } })).toEqual(["b", "c"]);
      expect(await s({ n: { $lt: 5 } })).toEqual(["a"]);
      expect(await s({ n: { $lte: 5 } })).toEqual(["a", "b"]);
      expect(await s({ n: { $gt: 1, $lt: 10 } })).toEqual(["b"]);
      expect(await s({ tag: { $in: ["red", "green"] } })).toEqual(["a"]);
      expect(await s({ tag: { $nin: ["red"] } })).toEqual(["b", "c"]);
      expect(await s({ kind: "x", tag: "blue" })).toEqual(["b"]);
      expect(await s({ missing: "z" })).toEqual([]);
      expect(await s({ n: "5" })).toEqual([]); // strict equality
    });

    it("pages with limit and offset", async () => {
      for (let i = 0; i < 7; i++) await store.put(["p"], `k${i}`, { i });
      const page1 = await store.search(["p"], { limit: 3 });
      const page2 = await store.search(["p"], { limit: 3, offset: 3 });
      const page3 = await store.search(["p"], { limit: 3, offset: 6 });
      expect(page1).toHaveLength(3);
      expect(page2).toHaveLength(3);
      expect(page3).toHaveLength(1);
      const all = [...page1, ...page2, ...page3].map((i) => i.key).sort();
      expect(all).toEqual(["k0", "k1", "k2", "k3", "k4", "k5", "k6"]);
      expect(await store.search(["p"])).toHaveLength(7); // default limit 10
    });

    it("lists namespaces with prefix, suffix, wildcards, maxDepth, limit and offset", async () => {
      await store.put(["a", "b", "c"], "k", { v: 1 });
      await store.put(["a", "b", "d"], "k", { v: 1 });
      await store.put(["a", "e"], "k", { v: 1 });
      await store.put(["x", "b", "c"], "k", { v: 1 });
      await store.put(["x", "b", "c"], "k2", { v: 1 });
      expect(await store.listNamespaces()).toEqual([
        ["a", "b", "c"],
        ["a", "b", "d"],
        ["a", "e"],
        ["x", "b", "c"],
      ]);
      expect(await store.listNamespaces({ prefix: ["a"] })).toEqual([
        ["a", "b", "c"],
        ["a", "b", "d"],
        ["a", "e"],
      ]);
      expect(await store.listNamespaces({ suffix: ["c"] })).toEqual([
        ["a", "b", "c"],
        ["x", "b", "c"],
      ]);
      expect(await store.listNamespaces({ prefix: ["*", "b"] })).toEqual([
        ["a", "b", "c"],
        ["a", "b", "d"],
        ["x", "b", "c"],
      ]);
      expect(await store.listNamespaces({ prefix: ["a"], suffix: ["*", "d"] })).toEqual([["a", "b", "d"]]);
      expect(await store.listNamespaces({ maxDepth: 2 })).toEqual([
        ["a", "b"],
        ["a", "e"],
        ["x", "b"],
      ]);
      expect(await store.listNamespaces({ maxDepth: 1 })).toEqual([["a"], ["x"]]);
      expect(await store.listNamespaces({ limit: 2, offset: 1 })).toEqual([
        ["a", "b", "d"],
        ["a", "e"],
      ]);
    });

    it("returns mixed batch results in operation order; puts apply after reads", async () => {
      await store.put(["m"], "old", { v: 0 });
      const results = await store.batch([
        { namespace: ["m"], key: "new", value: { v: 1 } },
        { namespace: ["m"], key: "old" },
        { namespacePrefix: ["m"], limit: 10, offset: 0 },
        { matchConditions: [{ matchType: "prefix", path: ["m"] }], limit: 10, offset: 0 },
        { namespace: ["m"], key: "new" },
      ]);
      expect(results[0]).toBeNull();
      expect((results[1] as unknown as Item).value).toEqual({ v: 0 });
      expect(keysOf(results[2] as unknown as Item[])).toEqual(["old"]);
      expect(results[3]).toEqual([["m"]]);
      expect(results[4]).toBeNull();
      expect((await store.get(["m"], "new"))!.value).toEqual({ v: 1 });
    });

    it("last put of a key in one batch wins", async () => {
      await store.batch([
        { namespace: ["w"], key: "k", value: { v: 1 } },
        { namespace: ["w"], key: "k", value: { v: 2 } },
      ]);
      expect((await store.get(["w"], "k"))!.value).toEqual({ v: 2 });
    });

    it("rejects invalid namespaces like LangGraph", async () => {
      await expect(store.put([], "k", { v: 1 })).rejects.toThrow();
      await expect(store.put(["a.b"], "k", { v: 1 })).rejects.toThrow(/period/);
      await expect(store.put(["a", ""], "k", { v: 1 })).rejects.toThrow();
      await expect(store.put(["a:b"], "k", { v: 1 })).rejects.toThrow();
      await expect(store.put(["langgraph", "x"], "k", { v: 1 })).rejects.toThrow(/langgraph/);
    });

    if (opts.semantic) {
      it("ranks by query with scores, best first", async () => {
        await store.put(["s"], "py", { text: "python tutorial for beginners" });
        await store.put(["s"], "ts", { text: "typescript guide to generics" });
        await store.put(["s"], "cook", { text: "baking sourdough bread at home" });
        const hits = await store.search(["s"], { query: "sourdough bread baking" });
        expect(hits).toHaveLength(3);
        expect(hits[0]!.key).toBe("cook");
        for (const h of hits) expect(typeof h.score).toBe("number");
        for (let i = 1; i < hits.length; i++)
          expect(hits[i - 1]!.score!).toBeGreaterThanOrEqual(hits[i]!.score!);
        const py = await store.search(["s"], { query: "python tutorial", limit: 1 });
        expect(py.map((h) => h.key)).toEqual(["py"]);
        const page2 = await store.search(["s"], { query: "sourdough bread baking", limit: 1, offset: 1 });
        expect(page2.map((h) => h.key)).toEqual([hits[1]!.key]);
      });

      it("combines query with filter and namespace prefix", async () => {
        await store.put(["q", "a"], "1", { text: "sourdough bread", lang: "en" });
        await store.put(["q", "a"], "2", { text: "sourdough bread recipe", lang: "fr" });
        await store.put(["q", "b"], "3", { text: "sourdough bread", lang: "en" });
        const hits = await store.search(["q", "a"], { query: "sourdough bread", filter: { lang: "en" } });
        expect(hits.map((h) => h.key)).toEqual(["1"]);
        expect(typeof hits[0]!.score).toBe("number");
      });

      it("index fields choose the embedded text; index false is never ranked", async () => {
        await store.put(["i"], "title", { title: "sourdough bread", body: "unrelated words here" }, [
          "title",
        ]);
        await store.put(["i"], "body", { title: "unrelated words here", body: "sourdough bread" }, ["title"]);
        await store.put(["i"], "off", { title: "sourdough bread sourdough bread" }, false);
        const hits = await store.search(["i"], { query: "sourdough bread" });
        expect(hits[0]!.key).toBe("title");
        expect(typeof hits[0]!.score).toBe("number");
        const off = hits.find((h) => h.key === "off");
        expect(off === undefined || off.score === undefined).toBe(true);
        expect(hits.indexOf(off!)).not.toBe(0);
        // Still readable and listed without a query.
        expect((await store.get(["i"], "off"))!.value).toEqual({ title: "sourdough bread sourdough bread" });
        expect(keysOf(await store.search(["i"]))).toEqual(["body", "off", "title"]);
      });

      it("a query with a range filter returns every match, even when they rank last", async () => {
        const ops = Array.from({ length: 300 }, (_, i) => ({
          namespace: ["big"],
          key: `k${i}`,
          value: i < 295 ? { text: `sourdough bread loaf ${i}`, n: i } : { text: "volcano lava ash", n: i },
        }));
        await store.batch(ops);
        const hits = await store.search(["big"], { query: "sourdough bread", filter: { n: { $gte: 295 } } });
        expect(hits.map((h) => h.key).sort()).toEqual(["k295", "k296", "k297", "k298", "k299"]);
        const page = await store.search(["big"], {
          query: "sourdough bread",
          filter: { n: { $gte: 295 } },
          limit: 2,
          offset: 4,
        });
        expect(page).toHaveLength(1);
      });

      it("index paths with multi-field braces ({a,b.c}) are embedded and ranked", async () => {
        const value = { title: "unrelated words", meta: { topic: "sourdough bread" }, body: "more noise" };
        await store.put(["mf"], "braces", value, ["{title,meta.topic}"]);
        await store.put(["mf"], "nested", { doc: { parts: [{ t: "sourdough bread" }] } }, ["doc.parts[*].t"]);
        await store.put(["mf"], "other", { title: "volcano lava ash" }, ["title"]);
        const hits = await store.search(["mf"], { query: "sourdough bread" });
        expect(
          hits
            .map((h) => h.key)
            .slice(0, 2)
            .sort(),
        ).toEqual(["braces", "nested"]);
        for (const h of hits) expect(typeof h.score).toBe("number");
      });
    }
  });
}
