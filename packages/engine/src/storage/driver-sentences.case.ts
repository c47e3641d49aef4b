/**
 * Sentence-vector part of the storage-driver conformance suite (registered by
 * `runStorageDriverSuite` in `driver.case.ts`): vectors stored with their memory, the backfill's
 * conditional writes and its durable progress.
 *
 * @module
 */
import { describe, expect, it } from "vitest";
import type { NamespaceStore } from "./driver.js";
import { createNamespace, type DriverCaseContext, newRecord } from "./records.case.js";

const v = (...xs: number[]) => Float32Array.from(xs);
const two = [v(1, 0), v(0, 1)];

async function open(ctx: DriverCaseContext, name = "s"): Promise<NamespaceStore> {
  await createNamespace(ctx.driver(), name);
  return ctx.driver().openNamespace(name);
}

/** Registers the sentence-vector conformance tests. */
export function registerSentenceCases(ctx: DriverCaseContext): void {
  describe("sentence vectors", () => {
    it("stores them with their memory, replaces them on update and drops them with it", async () => {
      let store = await open(ctx);
      const { inserted } = await store.insert([
        newRecord("a", { sentenceEmbeddings: two }),
        newRecord("b"),
        newRecord("c", { sentenceEmbeddings: [v(0.5, 0.5)] }),
      ]);
      const [a, b, c] = [inserted[0]!, inserted[1]!, inserted[2]!];
      expect(a).not.toHaveProperty("sentenceEmbeddings");
      let got = await store.getSentenceEmbeddings([a.seq, b.seq, c.seq, 999_999]);
      expect([...got.keys()].sort()).toEqual([a.seq, c.seq].sort());
      expect(got.get(a.seq)).toEqual(two);
      await store.update("c", { updatedAt: 5_000, sentenceEmbeddings: [two[1]!, two[0]!, two[1]!] });
      await store.update("a", { updatedAt: 5_000, sentenceEmbeddings: [] });
      await store.update("b", { updatedAt: 5_000, content: "no vectors change" });
      got = await store.getSentenceEmbeddings([a.seq, b.seq, c.seq]);
      expect([...got.keys()]).toEqual([c.seq]);
      expect(got.get(c.seq)).toEqual([two[1], two[0], two[1]]);
      store = await (await ctx.reopen()).openNamespace("s");
      expect((await store.getSentenceEmbeddings([c.seq])).get(c.seq)).toHaveLength(3);
      const { inserted: more } = await store.insert([newRecord("d", { sentenceEmbeddings: two })], {
        evict: ["c"],
      });
      expect((await store.getSentenceEmbeddings([c.seq])).size).toBe(0);
      await store.delete(["d"], 6_000);
      expect((await store.getSentenceEmbeddings([more[0]!.seq])).size).toBe(0);
    });

    it("backfills only memories without any that still hold the text they were computed from", async () => {
      let store = await open(ctx);
      const { inserted } = await store.insert(
        ["plain", "has", "edited", "stale", "gone"].map((id) =>
          newRecord(id, { updatedAt: 10, ...(id === "has" ? { sentenceEmbeddings: [v(0, 1)] } : {}) }),
        ),
      );
      const seq = Object.fromEntries(inserted.map((r) => [r.id, r.seq]));
      await store.update("edited", { updatedAt: 20, content: "new text" });
      await store.update("stale", { updatedAt: 20 });
      await store.delete(["gone"], 30);
      const generation = await store.generation();
      const fill = (id: string, over: { content?: string; updatedAt?: number } = {}) => ({
        seq: seq[id] ?? 999_999,
        content: id,
        updatedAt: 10,
        vectors: two,
        ...over,
      });
      const written = await store.fillSentenceEmbeddings([
        fill("plain"),
        fill("has"),
        fill("edited"),
        fill("stale"),
        fill("gone"),
        fill("nowhere"),
        { ...fill("plain"), seq: seq.edited!, content: "new text", updatedAt: 20, vectors: [] },
      ]);
      expect(written).toEqual([seq.plain]);
      expect(await store.generation()).toBe(generation);
      store = await (await ctx.reopen()).openNamespace("s");
      const got = await store.getSentenceEmbeddings(Object.values(seq));
      expect([...got.keys()].sort()).toEqual([seq.plain, seq.has].sort());
      expect(got.get(seq.plain!)).toEqual(two);
      expect(got.get(seq.has!)).toEqual([v(0, 1)]);
      expect(await store.fillSentenceEmbeddings([fill("plain", { content: "plain" })])).toEqual([]);
      expect(
        await store.fillSentenceEmbeddings([fill("edited", { content: "new text", updatedAt: 20 })]),
      ).toEqual([seq.edited]);
    });

    it("keeps the backfill's progress per namespace, durably, without logging a change", async () => {
      let store = await open(ctx, "one");
      const other = await open(ctx, "two");
      await store.insert([newRecord("a")]);
      const generation = await store.generation();
      expect(await store.sentenceBackfill()).toBeNull();
      await store.setSentenceBackfill({ after: 0, through: 7 });
      await store.setSentenceBackfill({ after: 3, through: 7 });
      expect(await other.sentenceBackfill()).toBeNull();
      store = await (await ctx.reopen()).openNamespace("one");
      expect(await store.sentenceBackfill()).toEqual({ after: 3, through: 7 });
      expect(await store.generation()).toBe(generation);
      await store.setSentenceBackfill(null);
      expect(await store.sentenceBackfill()).toBeNull();
    });

    it("sets the backfill's progress only while it is the expected one (compare-and-set)", async () => {
      const store = await open(ctx);
      const base = { after: 0, through: 9 };
      const leased = { after: 0, through: 9, lease: { holder: "engine-a", until: 5_000 } };
      expect(await store.setSentenceBackfill(base, { expected: { after: 1, through: 9 } })).toBe(false);
      expect(await store.sentenceBackfill()).toBeNull();
      expect(await store.setSentenceBackfill(base, { expected: null })).toBe(true);
      expect(await store.setSentenceBackfill(leased, { expected: null })).toBe(false);
      expect(await store.setSentenceBackfill(leased, { expected: { through: 9, after: 0 } })).toBe(true);
      expect(await store.sentenceBackfill()).toEqual(leased);
      // Another holder, or the same one with another expiry, is not the expected state.
      const other = { ...leased, lease: { holder: "engine-b", until: 5_000 } };
      expect(await store.setSentenceBackfill(base, { expected: other })).toBe(false);
      expect(
        await store.setSentenceBackfill(base, {
          expected: { ...leased, lease: { holder: "engine-a", until: 1 } },
        }),
      ).toBe(false);
      expect(await store.setSentenceBackfill(null, { expected: leased })).toBe(true);
      expect(await store.sentenceBackfill()).toBeNull();
      expect(await store.setSentenceBackfill(base)).toBe(true);
      expect(await store.sentenceBackfill()).toEqual(base);
    });
  });
}
