/**
 * The storage-driver conformance suite. Every {@link StorageDriver} runs it:
 *
 * ```ts
 * describe("SqliteDriver", () => runStorageDriverSuite({ setup: async () => { … return { open, cleanup }; } }));
 * ```
 * @module
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_NAMESPACE_CONFIG } from "../engine/convert.js";
import { LociError } from "../errors.js";
import type { NamespaceRecord, NewMemoryRecord, StorageDriver } from "./driver.js";
import { registerGraphCases } from "./driver-graph.case.js";
import { registerSentenceCases } from "./driver-sentences.case.js";

/** Options of {@link runStorageDriverSuite}. */
export interface StorageDriverSuiteOptions {
  /**
   * Prepares an empty storage location. `open` must return a driver over that location and may be
   * called again after `close()` to test persistence; `cleanup` removes the location.
   */
  setup: () => Promise<{ open: () => Promise<StorageDriver> | StorageDriver; cleanup: () => Promise<void> }>;
}

const ns = (name: string, at = 1_000): NamespaceRecord => ({
  name,
  description: `about ${name}`,
  config: { ...DEFAULT_NAMESPACE_CONFIG },
  createdAt: at,
  updatedAt: at,
});

let counter = 0;
const mem = (over: Partial<NewMemoryRecord> = {}): NewMemoryRecord => {
  counter++;
  return {
    id: `m-${counter}`,
    content: `memory number ${counter}`,
    metadata: { n: counter, nested: { ok: true }, list: [1, "two", null] },
    sessionId: null,
    agentId: null,
    importance: 0.5,
    createdAt: 1_000 + counter,
    updatedAt: 1_000 + counter,
    lastAccessedAt: 1_000 + counter,
    accessCount: 0,
    expiresAt: null,
    embedding: Float32Array.from([counter, 1, 0, 0.5]),
    ...over,
  };
};

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(LociError.isInstance(err), `expected a LociError ${code}, got ${String(err)}`).toBe(true);
  expect((err as LociError).code).toBe(code);
}

/** Registers the conformance tests for a storage driver. */
export function runStorageDriverSuite(opts: StorageDriverSuiteOptions): void {
  let env: Awaited<ReturnType<StorageDriverSuiteOptions["setup"]>>;
  let driver: StorageDriver;

  beforeEach(async () => {
    env = await opts.setup();
    driver = await env.open();
  });
  afterEach(async () => {
    await driver.close();
    await env.cleanup();
  });

  describe("catalog", () => {
    it("creates, reads, lists (sorted), updates and deletes namespaces", async () => {
      await driver.createNamespace(ns("zeta"));
      await driver.createNamespace(ns("alpha"));
      expect((await driver.listNamespaces()).map((n) => n.name)).toEqual(["alpha", "zeta"]);
      expect(await driver.getNamespace("alpha")).toEqual(ns("alpha"));
      const updated = { ...ns("alpha"), description: "new", updatedAt: 2_000 };
      updated.config = { ...updated.config, decayStrategy: "exponential", maxMemories: 10 };
      await driver.updateNamespace(updated);
      expect(await driver.getNamespace("alpha")).toEqual(updated);
      expect(await driver.deleteNamespace("alpha")).toBe(true);
      expect(await driver.deleteNamespace("alpha")).toBe(false);
      expect(await driver.getNamespace("alpha")).toBeNull();
    });

    it("rejects duplicates and unknown namespaces with typed errors", async () => {
      await driver.createNamespace(ns("a"));
      await expectCode(driver.createNamespace(ns("a")), "ALREADY_EXISTS");
      await expectCode(driver.updateNamespace(ns("missing")), "NAMESPACE_NOT_FOUND");
      await expectCode(driver.openNamespace("missing"), "NAMESPACE_NOT_FOUND");
    });
  });

  describe("memories", () => {
    it("round-trips every field, including odd metadata keys and the embedding", async () => {
      await driver.createNamespace(ns("a"));
      const store = await driver.openNamespace("a");
      await store.createSession({ id: "s-1", metadata: {}, createdAt: 1 });
      const input = mem({
        metadata: JSON.parse(
          '{"__proto__": {"x": 1}, "constructor": "c", "emoji": "😀", "deep": {"a": [{"b": 2}]}}',
        ),
        sessionId: "s-1",
        agentId: "agent-7",
        importance: 0.9,
        expiresAt: 99_999,
        content: "Ünïcödé content — 北京 — \u0000 nul inside",
      });
      const {
        inserted: [rec],
      } = await store.insert([input]);
      const [back] = await store.get([input.id], { withEmbeddings: true });
      expect(back).toEqual({ ...input, seq: rec!.seq, entities: [] });
      expect(Object.getPrototypeOf(back!.metadata)).toBe(Object.prototype);
      expect(Object.hasOwn(back!.metadata, "__proto__")).toBe(true);
      const [noVec] = await store.get([input.id]);
      expect(noVec!.embedding).toBeNull();
    });

    it("assigns increasing seqs, never reused after deletes, and logs every change", async () => {
      await driver.createNamespace(ns("a"));
      const store = await driver.openNamespace("a");
      expect(await store.generation()).toBe(0);
      const { inserted: first } = await store.insert([mem(), mem()]);
      expect(first[1]!.seq).toBeGreaterThan(first[0]!.seq);
      await store.delete([first[1]!.id], 5_000);
      const {
        inserted: [third],
      } = await store.insert([mem()]);
      expect(third!.seq).toBeGreaterThan(first[1]!.seq);
      await store.update(third!.id, { content: "changed", updatedAt: 6_000 });
      const changes = await store.changesSince(0);
      expect(changes.map((c) => c.type)).toEqual([
        "memory.added",
        "memory.added",
        "memory.deleted",
        "memory.added",
        "memory.updated",
      ]);
      expect(changes.map((c) => c.generation)).toEqual(
        [...changes.map((c) => c.generation)].sort((a, b) => a - b),
      );
      expect(await store.generation()).toBe(changes[changes.length - 1]!.generation);
      expect((await store.changesSince(changes[2]!.generation)).map((c) => c.subjectSeq)).toEqual([
        third!.seq,
        third!.seq,
      ]);
      expect(await store.count()).toBe(2);
    });

    it("writes a batch atomically: a duplicate id writes nothing", async () => {
      await driver.createNamespace(ns("a"));
      const store = await driver.openNamespace("a");
      const existing = mem();
      await store.insert([existing]);
      const generation = await store.generation();
      await expectCode(store.insert([mem(), mem(), { ...mem(), id: existing.id }]), "ALREADY_EXISTS");
      expect(await store.count()).toBe(1);
      expect(await store.generation()).toBe(generation);
    });

    it("updates fields and reports a missing id as null", async () => {
      await driver.createNamespace(ns("a"));
      const store = await driver.openNamespace("a");
      const {
        inserted: [rec],
      } = await store.insert([mem()]);
      const embedding = Float32Array.from([0, 0, 1, 0]);
      const next = await store.update(rec!.id, {
        content: "new content",
        metadata: { v: 2 },
        importance: 1,
        expiresAt: 123,
        embedding,
        updatedAt: 7_000,
      });
      expect(next).toMatchObject({
        content: "new content",
        metadata: { v: 2 },
        importance: 1,
        expiresAt: 123,
      });
      const [back] = await store.get([rec!.id], { withEmbeddings: true });
      expect(back!.embedding).toEqual(embedding);
      expect(back!.updatedAt).toBe(7_000);
      expect(back!.createdAt).toBe(rec!.createdAt);
      expect(await store.update("nope", { updatedAt: 1 })).toBeNull();
    });

    it("fetches by id and seq in the order asked, scans in pages, and touches", async () => {
      await driver.createNamespace(ns("a"));
      const store = await driver.openNamespace("a");
      const { inserted: recs } = await store.insert(Array.from({ length: 25 }, () => mem()));
      const ids = [recs[5]!.id, "missing", recs[1]!.id];
      expect((await store.get(ids)).map((r) => r.id)).toEqual([recs[5]!.id, recs[1]!.id]);
      const vectors = await store.getEmbeddings([recs[2]!.seq, 999_999]);
      expect([...vectors.keys()]).toEqual([recs[2]!.seq]);
      expect(vectors.get(recs[2]!.seq)).toEqual(recs[2]!.embedding);
      expect((await store.getBySeq([recs[3]!.seq, recs[0]!.seq])).map((r) => r.id)).toEqual([
        recs[3]!.id,
        recs[0]!.id,
      ]);
      const seen: string[] = [];
      for (let after = 0; ; ) {
        const page = await store.scan({ afterSeq: after, limit: 10 });
        seen.push(...page.map((r) => r.id));
        if (page.length < 10) break;
        after = page[page.length - 1]!.seq;
      }
      expect(seen).toEqual(recs.map((r) => r.id));
      await store.touch([recs[0]!.seq, recs[0]!.seq], 50_000);
      const [touched] = await store.get([recs[0]!.id]);
      expect(touched).toMatchObject({ lastAccessedAt: 50_000, accessCount: 2 });
    });

    it("keeps namespaces apart", async () => {
      await driver.createNamespace(ns("a"));
      await driver.createNamespace(ns("b"));
      const a = await driver.openNamespace("a");
      const b = await driver.openNamespace("b");
      const {
        inserted: [rec],
      } = await a.insert([mem()]);
      expect(await b.get([rec!.id])).toEqual([]);
      expect(await b.count()).toBe(0);
      await b.insert([{ ...mem(), id: rec!.id }]);
      expect(await a.count()).toBe(1);
    });
  });

  describe("sessions", () => {
    it("creates, gets, lists, ends sessions and logs both changes", async () => {
      await driver.createNamespace(ns("a"));
      const store = await driver.openNamespace("a");
      const s1 = await store.createSession({ id: "s1", metadata: { ticket: 7 }, createdAt: 10 });
      await store.createSession({ id: "s2", metadata: {}, createdAt: 11 });
      expect(s1).toMatchObject({
        id: "s1",
        metadata: { ticket: 7 },
        createdAt: 10,
        endedAt: null,
        memoryCount: 0,
      });
      await expectCode(store.createSession({ id: "s1", metadata: {}, createdAt: 12 }), "ALREADY_EXISTS");
      expect((await store.listSessions({ limit: 10 })).map((s) => s.id)).toEqual(["s1", "s2"]);
      expect((await store.listSessions({ afterSeq: s1.seq, limit: 10 })).map((s) => s.id)).toEqual(["s2"]);
      expect(await store.endSession("s1", 20)).toMatchObject({ id: "s1", endedAt: 20 });
      expect(await store.endSession("s1", 30)).toMatchObject({ endedAt: 20 });
      expect(await store.endSession("nope", 30)).toBeNull();
      expect(await store.getSession("nope")).toBeNull();
      const types = (await store.changesSince(0)).map((c) => `${c.type}:${c.subjectId}`);
      expect(types).toEqual(["session.created:s1", "session.created:s2", "session.ended:s1"]);
    });

    it("counts memories per session and refuses unknown or ended sessions atomically", async () => {
      await driver.createNamespace(ns("a"));
      const store = await driver.openNamespace("a");
      await store.createSession({ id: "s1", metadata: {}, createdAt: 1 });
      const { inserted } = await store.insert([mem({ sessionId: "s1" }), mem({ sessionId: "s1" }), mem()]);
      expect((await store.getSession("s1"))!.memoryCount).toBe(2);
      await store.delete([inserted[0]!.id], 5);
      expect((await store.getSession("s1"))!.memoryCount).toBe(1);
      await expectCode(store.insert([mem(), mem({ sessionId: "ghost" })]), "SESSION_NOT_FOUND");
      await store.endSession("s1", 9);
      await expectCode(store.insert([mem({ sessionId: "s1" })]), "SESSION_ENDED");
      expect(await store.count()).toBe(2);
    });
  });

  describe("eviction", () => {
    it("evicts in the same transaction as the insert, including just-inserted ids", async () => {
      await driver.createNamespace(ns("a"));
      const store = await driver.openNamespace("a");
      await store.createSession({ id: "s", metadata: {}, createdAt: 1 });
      const { inserted: old } = await store.insert([mem({ sessionId: "s" }), mem()]);
      const fresh = mem({ sessionId: "s" });
      const result = await store.insert([fresh, mem()], { evict: [old[0]!.id, fresh.id, "unknown"] });
      expect(result.inserted).toHaveLength(2);
      expect(result.evicted.map((r) => r.id)).toEqual([old[0]!.id, fresh.id]);
      expect(await store.count()).toBe(2);
      expect((await store.getSession("s"))!.memoryCount).toBe(0);
      const changes = await store.changesSince(0);
      expect(changes.filter((c) => c.type === "memory.evicted").map((c) => c.subjectId)).toEqual([
        old[0]!.id,
        fresh.id,
      ]);
      expect(changes.find((c) => c.type === "memory.added")!.payload).toEqual({
        sessionId: "s",
        agentId: null,
      });
      await store.delete([old[1]!.id], 3, "memory.expired");
      expect((await store.changesSince(0)).at(-1)!.type).toBe("memory.expired");
    });
  });

  describe("removals", () => {
    it("reports the latest removal of each id, by any path, across a reopen and per namespace", async () => {
      await driver.createNamespace(ns("a"));
      await driver.createNamespace(ns("b"));
      const store = await driver.openNamespace("a");
      const [kept, deleted, evicted, expired, again] = (
        await store.insert([mem(), mem(), mem(), mem(), mem()])
      ).inserted;
      await store.delete([deleted!.id], 10);
      await store.insert([mem()], { evict: [evicted!.id] });
      await store.delete([expired!.id], 20, "memory.expired");
      // Deleted, added again with the same id, then evicted: the latest removal counts.
      await store.delete([again!.id], 30);
      await store.insert([mem({ id: again!.id })], { evict: [again!.id] });
      const asked = [kept!.id, deleted!.id, evicted!.id, expired!.id, again!.id, "never-stored", deleted!.id];
      const check = async (s: typeof store) => {
        const removals = await s.removals(asked);
        expect([...removals.keys()].sort()).toEqual(
          [deleted!.id, evicted!.id, expired!.id, again!.id].sort(),
        );
        expect(removals.get(deleted!.id)).toEqual({ type: "memory.deleted", at: 10 });
        expect(removals.get(evicted!.id)!.type).toBe("memory.evicted");
        expect(removals.get(expired!.id)).toEqual({ type: "memory.expired", at: 20 });
        expect(removals.get(again!.id)!.type).toBe("memory.evicted");
      };
      await check(store);
      expect((await store.removals([])).size).toBe(0);
      expect((await (await driver.openNamespace("b")).removals(asked)).size).toBe(0);
      await check(await (await context.reopen()).openNamespace("a"));
    });

    it("an insert refusing removed ids writes nothing when one was removed, and says which", async () => {
      await driver.createNamespace(ns("a"));
      const store = await driver.openNamespace("a");
      const [stored, deleted, expired] = (await store.insert([mem(), mem(), mem()])).inserted;
      await store.delete([deleted!.id], 10);
      await store.delete([expired!.id], 20, "memory.expired");
      const before = { count: await store.count(), generation: await store.generation() };
      const fresh = mem();
      const refused = [fresh, mem({ id: deleted!.id }), mem({ id: expired!.id })];
      const err = await store
        .insert(refused, { refuseRemoved: refused.map((r) => r.id) })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: "MEMORY_REMOVED",
        details: {
          removed: [
            { id: deleted!.id, reason: "deleted", at: new Date(10).toISOString() },
            { id: expired!.id, reason: "expired", at: new Date(20).toISOString() },
          ],
        },
      });
      expect(await store.count()).toBe(before.count);
      expect(await store.generation()).toBe(before.generation);
      expect(await store.get([fresh.id])).toEqual([]);
      // A stored id is ALREADY_EXISTS, as without the option, whatever else the batch holds.
      const taken = [mem({ id: deleted!.id }), mem({ id: stored!.id })];
      await expect(store.insert(taken, { refuseRemoved: taken.map((r) => r.id) })).rejects.toMatchObject({
        code: "ALREADY_EXISTS",
      });
      // Only the listed ids are checked; ids never removed insert as usual.
      const { inserted } = await store.insert([fresh, mem({ id: deleted!.id })], {
        refuseRemoved: [fresh.id],
      });
      expect(inserted.map((r) => r.id)).toEqual([fresh.id, deleted!.id]);
      expect(await store.count()).toBe(before.count + 2);
    });

    it("looks up more ids than one statement binds", async () => {
      await driver.createNamespace(ns("a"));
      const store = await driver.openNamespace("a");
      const { inserted } = await store.insert(Array.from({ length: 40 }, () => mem()));
      await store.delete(
        inserted.filter((_, i) => i % 2 === 0).map((r) => r.id),
        5,
      );
      const asked = [
        ...Array.from({ length: 70_000 }, (_, i) => `absent-${i}`),
        ...inserted.map((r) => r.id),
      ];
      expect((await store.removals(asked)).size).toBe(20);
    });
  });

  const context = {
    driver: () => driver,
    reopen: async () => {
      await driver.close();
      driver = await env.open();
      return driver;
    },
  };
  registerGraphCases(context);
  registerSentenceCases(context);

  describe("durability", () => {
    it("keeps everything across close and reopen", async () => {
      await driver.createNamespace(ns("a"));
      const store = await driver.openNamespace("a");
      const { inserted: recs } = await store.insert([mem(), mem(), mem()]);
      await store.delete([recs[1]!.id], 9_000);
      const generation = await store.generation();
      await driver.close();
      driver = await env.open();
      const reopened = await driver.openNamespace("a");
      expect((await reopened.scan({ limit: 10, withEmbeddings: true })).map((r) => r.id)).toEqual([
        recs[0]!.id,
        recs[2]!.id,
      ]);
      expect(await reopened.generation()).toBe(generation);
      expect(await driver.getNamespace("a")).toEqual(ns("a"));
    });

    it("releases an open namespace (where the driver can) and opens it again with its data", async () => {
      await driver.createNamespace(ns("a"));
      await driver.createNamespace(ns("b"));
      const store = await driver.openNamespace("a");
      const other = await driver.openNamespace("b");
      const { inserted } = await store.insert([mem(), mem()]);
      await other.insert([mem()]);
      const generation = await store.generation();
      await driver.releaseNamespace?.("a");
      await driver.releaseNamespace?.("a"); // not open: a no-op
      await driver.releaseNamespace?.("missing");
      const again = await driver.openNamespace("a");
      if (driver.releaseNamespace) expect(again).not.toBe(store);
      expect((await again.scan({ limit: 10 })).map((r) => r.id)).toEqual(inserted.map((r) => r.id));
      expect(await again.generation()).toBe(generation);
      await again.insert([mem()]);
      expect(await again.count()).toBe(3);
      // Other namespaces are not affected.
      expect(await other.count()).toBe(1);
    });

    it("deletes a namespace's data with it", async () => {
      await driver.createNamespace(ns("a"));
      await (await driver.openNamespace("a")).insert([mem()]);
      await driver.deleteNamespace("a");
      await driver.createNamespace(ns("a"));
      const fresh = await driver.openNamespace("a");
      expect(await fresh.count()).toBe(0);
      expect(await fresh.generation()).toBe(0);
    });
  });
}
