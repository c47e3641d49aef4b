import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";
import type { LociEvent } from "../types.js";

let env: TempEngine;
afterEach(async () => env.cleanup());

const settle = () => new Promise((r) => setTimeout(r, 20));
const count = async (namespace: string) =>
  (await env.loci.memory.list({ namespace, limit: 1000 })).items.length;

describe("dedupe", () => {
  it("answers a repeat with the stored memory, writes nothing, and counts it as an access", async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    env = await openTempEngine({ clock });
    const { loci } = env;
    const first = await loci.memory.add({
      namespace: "d",
      content: "Acme renews in Q2",
      metadata: { a: 1, b: [1] },
    });
    const events: LociEvent[] = [];
    const sub = await loci.events.subscribe({ namespace: "d" }, (e) => {
      events.push(e);
    });
    clock.advance(60_000);
    const again = await loci.memory.add({
      namespace: "d",
      content: "  Acme   renews\nin Q2 ",
      metadata: { b: [1], a: 1 },
      dedupe: true,
    });
    expect(again.id).toBe(first.id);
    expect(again.content).toBe("Acme renews in Q2");
    expect(again.createdAt).toBe(first.createdAt);
    expect(again.accessCount).toBe(first.accessCount + 1);
    expect(again.lastAccessedAt).toBe(new Date(clock.now()).toISOString());
    expect(await count("d")).toBe(1);
    await settle();
    expect(events).toEqual([]);
    sub.unsubscribe();
    // Not repeats: other case, metadata, session, agent; or no `dedupe`.
    await loci.session.create({ namespace: "d", id: "s" });
    const others = [
      { content: "acme renews in q2", metadata: { a: 1, b: [1] } },
      { content: "Acme renews in Q2", metadata: { a: 2, b: [1] } },
      { content: "Acme renews in Q2", metadata: { a: 1, b: [1] }, sessionId: "s" },
      { content: "Acme renews in Q2", metadata: { a: 1, b: [1] }, agentId: "billing" },
    ];
    for (const o of others)
      expect((await loci.memory.add({ namespace: "d", ...o, dedupe: true })).id).not.toBe(first.id);
    const copy = await loci.memory.add({
      namespace: "d",
      content: "Acme renews in Q2",
      metadata: { a: 1, b: [1] },
    });
    expect(copy.id).not.toBe(first.id);
    expect(await count("d")).toBe(6);
  });

  it("stores repeats within a batch and among concurrent writers once", async () => {
    env = await openTempEngine();
    const { loci } = env;
    const batch = await loci.memory.addMany({
      namespace: "b",
      dedupe: true,
      memories: [
        { content: "alpha" },
        { content: "beta" },
        { content: "alpha " },
        { content: "beta", agentId: "x" },
      ],
    });
    expect(batch[2]!.id).toBe(batch[0]!.id);
    expect(new Set(batch.map((m) => m.id)).size).toBe(3);
    expect(await count("b")).toBe(3);
    const concurrent = await Promise.all(
      Array.from({ length: 8 }, () =>
        loci.memory.add({ namespace: "c", content: "same fact", dedupe: true }),
      ),
    );
    expect(new Set(concurrent.map((m) => m.id)).size).toBe(1);
    expect(await count("c")).toBe(1);
    // An id asked for does not make a copy: the stored memory answers.
    const own = await loci.memory.add({ namespace: "c", id: "mine", content: "same fact", dedupe: true });
    expect(own.id).toBe(concurrent[0]!.id);
    await expect(loci.memory.get({ namespace: "c", id: "mine" })).rejects.toMatchObject({
      code: "MEMORY_NOT_FOUND",
    });
  });

  it("does not match expired memories, and a repeat is not the memory evicted for a new one", async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    env = await openTempEngine({ clock, sweepIntervalMs: 0 });
    const { loci } = env;
    const gone = await loci.memory.add({
      namespace: "e",
      content: "short lived",
      expiresAt: clock.now() + 10,
    });
    clock.advance(100);
    const fresh = await loci.memory.add({ namespace: "e", content: "short lived", dedupe: true });
    expect(fresh.id).not.toBe(gone.id);

    await loci.namespace.create({
      name: "cap",
      config: { maxMemories: 2, decayStrategy: "exponential", decayHalfLifeHours: 1 },
    });
    const old = await loci.memory.add({ namespace: "cap", content: "the oldest fact" });
    clock.advance(3_600_000);
    const middle = await loci.memory.add({ namespace: "cap", content: "a newer fact" });
    clock.advance(3_600_000);
    // The repeat of the oldest reinforces it in the same commit that must evict one for the new memory.
    const [repeat, added] = await loci.memory.addMany({
      namespace: "cap",
      dedupe: true,
      memories: [{ content: "the oldest fact" }, { content: "the newest fact" }],
    });
    expect(repeat!.id).toBe(old.id);
    const ids = (await loci.memory.list({ namespace: "cap" })).items.map((m) => m.id).sort();
    expect(ids).toEqual([old.id, added!.id].sort());
    await expect(loci.memory.get({ namespace: "cap", id: middle.id })).rejects.toMatchObject({
      details: { removed: { reason: "evicted" } },
    });
  });

  it("counts a repeat once when the group it was committed with failed and was retried", async () => {
    env = await openTempEngine();
    const { loci } = env;
    const first = await loci.memory.add({ namespace: "g", id: "taken", content: "a stored fact" });
    // Committed together: the duplicate id fails the group, which is retried request by request.
    const [clash, repeat] = await Promise.allSettled([
      loci.memory.add({ namespace: "g", id: "taken", content: "another" }),
      loci.memory.add({ namespace: "g", content: "a stored fact", dedupe: true }),
    ]);
    expect(clash).toMatchObject({ status: "rejected", reason: { code: "ALREADY_EXISTS" } });
    expect(repeat).toMatchObject({ status: "fulfilled", value: { id: first.id, accessCount: 1 } });
    // The next repeat sees one access before it, not two.
    const next = await loci.memory.add({ namespace: "g", content: "a stored fact", dedupe: true });
    expect(next.accessCount).toBe(2);
  });

  it("finds repeats of content without index terms through its vector", async () => {
    env = await openTempEngine();
    const { loci } = env;
    const ok = await loci.memory.add({ namespace: "s", content: "!!!" });
    await loci.memory.add({ namespace: "s", content: "it is what it is" });
    const again = await loci.memory.add({ namespace: "s", content: " !!! ", dedupe: true });
    expect(again.id).toBe(ok.id);
    const words = await loci.memory.add({ namespace: "s", content: "it is what  it is", dedupe: true });
    expect(words.id).not.toBe(ok.id);
    expect((await loci.memory.add({ namespace: "s", content: "?!", dedupe: true })).id).not.toBe(ok.id);
    expect(await loci.memory.count({ namespace: "s" })).toBe(3);
  });

  it("must be a boolean", async () => {
    env = await openTempEngine();
    await expect(
      env.loci.memory.add({ namespace: "v", content: "x", dedupe: 1 as unknown as boolean }),
    ).rejects.toMatchObject({ code: "INVALID_ARGUMENT", details: { field: "dedupe" } });
    expect(await env.loci.namespace.get({ namespace: "v" }).catch((e) => e.code)).toBe("NAMESPACE_NOT_FOUND");
  });
});
