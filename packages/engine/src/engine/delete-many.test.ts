import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";
import type { LociEvent } from "../types.js";

let env: TempEngine;
afterEach(async () => env.cleanup());

const settle = () => new Promise((r) => setTimeout(r, 20));
const idsOf = async (namespace: string) =>
  (await env.loci.memory.list({ namespace, limit: 1000 })).items.map((m) => m.id).sort();
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => "resolved",
    (e: { code?: string }) => e.code,
  );

describe("memory.deleteMany", () => {
  it("deletes by filter, by session, by ids, and by their combination, with an event for each", async () => {
    env = await openTempEngine();
    const { loci } = env;
    await loci.session.create({ namespace: "crm", id: "t-1" });
    await loci.memory.addMany({
      namespace: "crm",
      memories: [
        { id: "a1", content: "Acme renews in Q2", metadata: { customer: "acme" }, sessionId: "t-1" },
        { id: "a2", content: "Acme wants SSO", metadata: { customer: "acme" } },
        { id: "b1", content: "Beta pays late", metadata: { customer: "beta" }, sessionId: "t-1" },
        { id: "b2", content: "Beta asked for a refund", metadata: { customer: "beta" } },
        { id: "c1", content: "Gamma churned", metadata: { customer: "gamma" } },
      ],
    });
    const events: LociEvent[] = [];
    const sub = await loci.events.subscribe({ namespace: "crm" }, (e) => {
      events.push(e);
    });

    expect(await loci.memory.deleteMany({ namespace: "crm", filter: { customer: "acme" } })).toEqual({
      deleted: 2,
    });
    expect(await idsOf("crm")).toEqual(["b1", "b2", "c1"]);
    // Session and filter together: a memory must match both.
    expect(
      await loci.memory.deleteMany({ namespace: "crm", sessionId: "t-1", filter: { customer: "gamma" } }),
    ).toEqual({ deleted: 0 });
    expect(await loci.memory.deleteMany({ namespace: "crm", sessionId: "t-1" })).toEqual({ deleted: 1 });
    // Ids: ones not stored (or given twice) are skipped.
    expect(await loci.memory.deleteMany({ namespace: "crm", ids: ["b2", "b2", "a1", "nope"] })).toEqual({
      deleted: 1,
    });
    expect(await idsOf("crm")).toEqual(["c1"]);
    await settle();
    expect(events.map((e) => [e.type, e.id])).toEqual([
      ["memory.deleted", "a1"],
      ["memory.deleted", "a2"],
      ["memory.deleted", "b1"],
      ["memory.deleted", "b2"],
    ]);
    sub.unsubscribe();
    // The searches no longer find them, and a get says how they went.
    const hits = await loci.memory.search({
      namespace: "crm",
      query: "Acme renews SSO, Beta refund, Gamma churned",
    });
    expect(hits.map((h) => h.memory.id)).toEqual(["c1"]);
    await expect(loci.memory.get({ namespace: "crm", id: "a2" })).rejects.toMatchObject({
      details: { removed: { reason: "deleted" } },
    });
    // The session's count follows.
    expect((await loci.session.get({ namespace: "crm", id: "t-1" })).memoryCount).toBe(0);
  });

  it("deletes more matches than one transaction holds, in chunks, and it survives a reopen", async () => {
    env = await openTempEngine({ limits: { batchSize: 7 } });
    const memories = Array.from({ length: 30 }, (_, i) => ({
      id: `m-${i}`,
      content: `note ${i}`,
      metadata: { keep: i % 3 === 0 },
    }));
    for (let i = 0; i < memories.length; i += 7) {
      await env.loci.memory.addMany({ namespace: "big", memories: memories.slice(i, i + 7) });
    }
    expect(await env.loci.memory.deleteMany({ namespace: "big", filter: { keep: false } })).toEqual({
      deleted: 20,
    });
    const kept = memories.filter((m) => m.metadata.keep).map((m) => m.id);
    expect(await idsOf("big")).toEqual(kept.sort());
    env.loci = await env.reopen();
    expect(await idsOf("big")).toEqual(kept.sort());
    expect(await env.loci.memory.deleteMany({ namespace: "big", filter: {} })).toEqual({ deleted: 10 });
    expect(await idsOf("big")).toEqual([]);
  });

  it("keeps a memory updated to no longer match while earlier chunks were deleted", async () => {
    env = await openTempEngine({ limits: { batchSize: 2 } });
    const { loci } = env;
    for (const id of ["m1", "m2", "m3", "m4"])
      await loci.memory.add({ namespace: "u", id, content: id, metadata: { k: 1 } });
    // The update queues on the write lock behind the first chunk, before the second.
    const [result] = await Promise.all([
      loci.memory.deleteMany({ namespace: "u", filter: { k: 1 } }),
      loci.memory.update({ namespace: "u", id: "m4", metadata: { k: 2 } }),
    ]);
    expect(result).toEqual({ deleted: 3 });
    expect((await loci.memory.get({ namespace: "u", id: "m4" })).metadata).toEqual({ k: 2 });
  });

  it("deletes expired memories the sweep has not purged yet", async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    env = await openTempEngine({ clock, sweepIntervalMs: 0 });
    await env.loci.memory.add({ namespace: "e", id: "old", content: "x", expiresAt: clock.now() + 10 });
    await env.loci.memory.add({ namespace: "e", id: "new", content: "y" });
    clock.advance(100);
    // count is list's: the expired memory is not counted (with a selector or without).
    expect(await env.loci.memory.count({ namespace: "e" })).toBe(1);
    expect(await env.loci.memory.count({ namespace: "e", filter: {} })).toBe(1);
    expect(await env.loci.memory.deleteMany({ namespace: "e", filter: {} })).toEqual({ deleted: 2 });
    expect(await env.loci.memory.count({ namespace: "e" })).toBe(0);
    expect(await env.loci.sweepExpired()).toBe(0);
  });

  it("refuses a call that selects nothing, too many ids, a bad filter or an unknown namespace", async () => {
    env = await openTempEngine({ limits: { batchSize: 3 } });
    await env.loci.memory.add({ namespace: "v", id: "x", content: "kept" });
    expect(await codeOf(env.loci.memory.deleteMany({ namespace: "v" }))).toBe("INVALID_ARGUMENT");
    expect(await codeOf(env.loci.memory.deleteMany({ namespace: "v", ids: ["a", "b", "c", "d"] }))).toBe(
      "PAYLOAD_TOO_LARGE",
    );
    expect(await codeOf(env.loci.memory.deleteMany({ namespace: "v", ids: "x" as never }))).toBe(
      "INVALID_ARGUMENT",
    );
    expect(await codeOf(env.loci.memory.deleteMany({ namespace: "v", filter: { n: { $regex: "x" } } }))).toBe(
      "INVALID_FILTER",
    );
    expect(await codeOf(env.loci.memory.deleteMany({ namespace: "nope", filter: {} }))).toBe(
      "NAMESPACE_NOT_FOUND",
    );
    expect(await codeOf(env.loci.memory.deleteMany(undefined as never))).toBe("INVALID_ARGUMENT");
    expect(await idsOf("v")).toEqual(["x"]);
  });
});
