import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { LociError } from "../errors.js";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";

let env: TempEngine;
let clock: ManualClock;
beforeEach(async () => {
  clock = new ManualClock(Date.UTC(2026, 5, 1));
  env = await openTempEngine({ clock });
});
afterEach(async () => env.cleanup());

async function codeOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!LociError.isInstance(err)) throw new Error(`expected a LociError, got ${String(err)}`);
  return err.code;
}

describe("memory CRUD", () => {
  it("adds with defaults and explicit fields, and gets it back unchanged", async () => {
    await env.loci.session.create({ namespace: "a", id: "s1" });
    const m = await env.loci.memory.add({
      namespace: "a",
      content: "hello",
      metadata: { nested: { list: [1, { x: null }] }, __proto__: "data" } as never,
      sessionId: "s1",
      agentId: "researcher",
      importance: 0.9,
      createdAt: "2026-01-02T03:04:05.000Z",
    });
    expect(m).toMatchObject({
      namespace: "a",
      content: "hello",
      sessionId: "s1",
      agentId: "researcher",
      importance: 0.9,
      createdAt: "2026-01-02T03:04:05.000Z",
      accessCount: 0,
      expiresAt: null,
    });
    expect(m.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(await env.loci.memory.get({ namespace: "a", id: m.id })).toEqual(m);
    const plain = await env.loci.memory.store({ namespace: "a", content: "defaults", id: "my-id" });
    expect(plain).toMatchObject({ id: "my-id", importance: 0.5, metadata: {}, sessionId: null });
    expect(({} as Record<string, unknown>).data).toBeUndefined();
  });

  it("an add racing a read of a namespace that does not exist yet creates it (the read finds none)", async () => {
    const read = env.loci.memory.list({ namespace: "fresh" });
    const added = env.loci.memory.add({ namespace: "fresh", content: "first" });
    expect(await codeOf(read)).toBe("NAMESPACE_NOT_FOUND");
    expect((await added).content).toBe("first");
    expect((await env.loci.memory.list({ namespace: "fresh" })).items).toHaveLength(1);
  });

  it("updates content (re-embedding), metadata and importance; deletes", async () => {
    const m = await env.loci.memory.add({ namespace: "a", content: "apples and pears" });
    await env.loci.memory.add({ namespace: "a", content: "unrelated words here" });
    clock.advance({ hours: 1 });
    const u = await env.loci.memory.update({
      namespace: "a",
      id: m.id,
      content: "submarine voyage",
      metadata: { v: 2 },
      importance: 0.1,
    });
    expect(u).toMatchObject({ content: "submarine voyage", metadata: { v: 2 }, importance: 0.1 });
    expect(Date.parse(u.updatedAt) - Date.parse(u.createdAt)).toBe(3_600_000);
    const hits = await env.loci.memory.search({
      namespace: "a",
      query: "submarine voyage",
      mode: "vector",
      limit: 1,
    });
    expect(hits[0]!.memory.id).toBe(m.id);
    expect(hits[0]!.scores.vector).toBeGreaterThan(0.99);
    expect(await env.loci.memory.search({ namespace: "a", query: "apples", mode: "keyword" })).toEqual([]);
    expect(await env.loci.memory.delete({ namespace: "a", id: m.id })).toBe(true);
    expect(await env.loci.memory.delete({ namespace: "a", id: m.id })).toBe(false);
    expect(await codeOf(env.loci.memory.get({ namespace: "a", id: m.id }))).toBe("MEMORY_NOT_FOUND");
    expect(await codeOf(env.loci.memory.update({ namespace: "a", id: m.id, importance: 1 }))).toBe(
      "MEMORY_NOT_FOUND",
    );
  });

  it("adds a batch atomically: one bad item or a taken id writes nothing", async () => {
    await env.loci.memory.add({ namespace: "a", content: "first", id: "taken" });
    expect(
      await codeOf(
        env.loci.memory.addMany({ namespace: "a", memories: [{ content: "ok" }, { content: "   " }] }),
      ),
    ).toBe("INVALID_ARGUMENT");
    expect(
      await codeOf(
        env.loci.memory.addMany({
          namespace: "a",
          memories: [{ content: "ok" }, { content: "x", id: "taken" }],
        }),
      ),
    ).toBe("ALREADY_EXISTS");
    expect((await env.loci.memory.list({ namespace: "a" })).items).toHaveLength(1);
  });

  it("hides expired memories from get, list and search", async () => {
    const m = await env.loci.memory.add({
      namespace: "a",
      content: "temporary note about the outage",
      expiresAt: clock.now() + 60_000,
    });
    expect((await env.loci.memory.search({ namespace: "a", query: "outage" })).length).toBe(1);
    clock.advance({ minutes: 2 });
    expect(await codeOf(env.loci.memory.get({ namespace: "a", id: m.id }))).toBe("MEMORY_NOT_FOUND");
    expect((await env.loci.memory.list({ namespace: "a" })).items).toEqual([]);
    expect(await env.loci.memory.search({ namespace: "a", query: "outage" })).toEqual([]);
  });
});

describe("memory.list", () => {
  it("pages with a cursor, filters by session and metadata, and rejects foreign cursors", async () => {
    await env.loci.session.create({ namespace: "a", id: "odd" });
    await env.loci.session.create({ namespace: "a", id: "even" });
    for (let i = 0; i < 7; i++) {
      await env.loci.memory.add({
        namespace: "a",
        content: `item ${i}`,
        sessionId: i % 2 ? "odd" : "even",
        metadata: { i },
      });
    }
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await env.loci.memory.list({ namespace: "a", limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((m) => m.metadata.i as number));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const odd = await env.loci.memory.list({ namespace: "a", sessionId: "odd" });
    expect(odd.items.map((m) => m.metadata.i)).toEqual([1, 3, 5]);
    const filtered = await env.loci.memory.list({ namespace: "a", filter: { i: { $gte: 4 } }, limit: 2 });
    expect(filtered.items.map((m) => m.metadata.i)).toEqual([4, 5]);
    expect(
      await codeOf(env.loci.memory.list({ namespace: "a", cursor: filtered.nextCursor!, sessionId: "odd" })),
    ).toBe("INVALID_CURSOR");
    expect(await codeOf(env.loci.memory.list({ namespace: "a", cursor: "garbage" }))).toBe("INVALID_CURSOR");
  });
});

describe("input validation", () => {
  const long = "x".repeat(100_001);
  it.each([
    ["empty content", { namespace: "a", content: "" }, "INVALID_ARGUMENT"],
    ["blank content", { namespace: "a", content: " \n\t" }, "INVALID_ARGUMENT"],
    ["non-string content", { namespace: "a", content: 42 }, "INVALID_ARGUMENT"],
    ["oversized content", { namespace: "a", content: long }, "PAYLOAD_TOO_LARGE"],
    ["bad namespace (slash)", { namespace: "../etc", content: "x" }, "INVALID_NAMESPACE"],
    ["bad namespace (leading _)", { namespace: "_sys", content: "x" }, "INVALID_NAMESPACE"],
    ["bad namespace (leading .)", { namespace: ".hidden", content: "x" }, "INVALID_NAMESPACE"],
    ["bad namespace (too long)", { namespace: "n".repeat(129), content: "x" }, "INVALID_NAMESPACE"],
    ["NaN importance", { namespace: "a", content: "x", importance: Number.NaN }, "INVALID_ARGUMENT"],
    ["importance > 1", { namespace: "a", content: "x", importance: 1.5 }, "INVALID_ARGUMENT"],
    ["metadata array", { namespace: "a", content: "x", metadata: [1] }, "INVALID_ARGUMENT"],
    ["metadata Infinity", { namespace: "a", content: "x", metadata: { v: Infinity } }, "INVALID_ARGUMENT"],
    ["metadata Date", { namespace: "a", content: "x", metadata: { d: new Date() } }, "INVALID_ARGUMENT"],
    ["bad createdAt", { namespace: "a", content: "x", createdAt: "yesterday" }, "INVALID_ARGUMENT"],
    ["id with control chars", { namespace: "a", content: "x", id: "a\u0000b" }, "INVALID_ARGUMENT"],
    ["wrong vector dimension", { namespace: "a", content: "x", embedding: [1, 2, 3] }, "EMBEDDING_MISMATCH"],
    [
      "NaN in vector",
      { namespace: "a", content: "x", embedding: Array(256).fill(Number.NaN) },
      "INVALID_ARGUMENT",
    ],
  ])("memory.add rejects %s", async (_name, input, code) => {
    expect(await codeOf(env.loci.memory.add(input as never))).toBe(code);
    expect(await env.loci.namespace.list()).toMatchObject({ items: expect.any(Array) });
  });

  it("names the invalid field as the caller wrote it: top-level for add, indexed for addMany", async () => {
    const fieldOf = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e: { details?: { field?: string } }) => e.details?.field,
      );
    expect(await fieldOf(env.loci.memory.add({ namespace: "a", content: "" }))).toBe("content");
    expect(
      await fieldOf(
        env.loci.memory.add({ namespace: "a", content: "x", metadata: { deepKey: { v: Infinity } } }),
      ),
    ).toBe("metadata.deepKey.v");
    expect(
      await fieldOf(env.loci.memory.addMany({ namespace: "a", memories: [{ content: "x", sessionId: "" }] })),
    ).toBe("memories[0].sessionId");
    expect(
      await fieldOf(
        env.loci.memory.addMany({
          namespace: "a",
          memories: [{ content: "ok" }, { content: "x", importance: 2 }],
        }),
      ),
    ).toBe("memories[1].importance");
  });

  it.each([
    ["unknown filter operator", { metadataFilter: { $foo: 1 } }, "INVALID_FILTER"],
    ["nested unknown operator", { metadataFilter: { a: { $regex: ".*" } } }, "INVALID_FILTER"],
    ["limit 0", { limit: 0 }, "INVALID_ARGUMENT"],
    ["limit 1001", { limit: 1001 }, "INVALID_ARGUMENT"],
    ["recencyWeight 2", { recencyWeight: 2 }, "INVALID_ARGUMENT"],
    ["unknown mode", { mode: "semantic" }, "INVALID_ARGUMENT"],
    ["empty query", { query: "  " }, "INVALID_ARGUMENT"],
    ["missing namespace", { namespace: undefined }, "INVALID_ARGUMENT"],
    ["unknown namespace", { namespace: "nope" }, "NAMESPACE_NOT_FOUND"],
  ])("memory.search rejects %s", async (_name, extra, code) => {
    await env.loci.memory.add({ namespace: "a", content: "something" });
    expect(await codeOf(env.loci.memory.search({ namespace: "a", query: "x", ...extra } as never))).toBe(
      code,
    );
  });
});

describe("concurrency", () => {
  it("keeps all of 200 concurrent adds across 5 namespaces", async () => {
    const names = ["n0", "n1", "n2", "n3", "n4"];
    const writes = Array.from({ length: 200 }, (_, i) =>
      env.loci.memory.add({ namespace: names[i % 5]!, content: `concurrent memory ${i}`, metadata: { i } }),
    );
    const added = await Promise.all(writes);
    expect(new Set(added.map((m) => m.id)).size).toBe(200);
    for (const name of names) {
      const ns = await env.loci.namespace.get({ namespace: name });
      expect(ns.memoryCount).toBe(40);
      const page = await env.loci.memory.list({ namespace: name, limit: 1000 });
      expect(page.items).toHaveLength(40);
    }
    const reopened = await env.reopen();
    const all = await Promise.all(names.map((n) => reopened.memory.list({ namespace: n, limit: 1000 })));
    expect(all.flatMap((p) => p.items.map((m) => m.metadata.i as number)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 200 }, (_, i) => i),
    );
  });
});
