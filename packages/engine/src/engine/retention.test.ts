import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { openTempEngine, type TempEngine } from "../testing/temp-engine.js";
import type { LociEvent } from "../types.js";

let env: TempEngine;
afterEach(async () => env?.cleanup());

describe("decay in ranking", () => {
  it("multiplies relevance by retention, so ranking flips as time advances", async () => {
    const clock = new ManualClock();
    env = await openTempEngine({ clock });
    await env.loci.namespace.create({
      name: "d",
      config: { decayStrategy: "exponential", decayHalfLifeHours: 24, reinforceOnAccess: false },
    });
    const strong = await env.loci.memory.add({
      namespace: "d",
      content: "deploy pipeline broken on main branch",
      importance: 0,
    });
    const weak = await env.loci.memory.add({ namespace: "d", content: "pipeline notes", importance: 1 });
    const q = { namespace: "d", query: "deploy pipeline broken on main branch", mode: "keyword" as const };
    let hits = await env.loci.memory.search(q);
    expect(hits.map((h) => h.memory.id)).toEqual([strong.id, weak.id]);
    expect(hits[0]!.scores.retention).toBe(1);
    clock.advance({ hours: 96 });
    hits = await env.loci.memory.search(q);
    // importance 0 halves every 12 h (2^-8), importance 1 every 48 h (2^-2)
    expect(hits.find((h) => h.memory.id === strong.id)!.scores.retention).toBeCloseTo(2 ** -8, 10);
    expect(hits.find((h) => h.memory.id === weak.id)!.scores.retention).toBeCloseTo(2 ** -2, 10);
    expect(hits.map((h) => h.memory.id)).toEqual([weak.id, strong.id]);
    for (const h of hits) expect(h.score).toBeCloseTo(h.scores.relevance * h.scores.retention, 12);
  });

  it("reinforces search hits when reinforceOnAccess is on", async () => {
    const clock = new ManualClock();
    env = await openTempEngine({ clock });
    await env.loci.namespace.create({
      name: "r",
      config: { decayStrategy: "exponential", decayHalfLifeHours: 24 },
    });
    const a = await env.loci.memory.add({ namespace: "r", content: "alpha fact about invoices" });
    const b = await env.loci.memory.add({ namespace: "r", content: "beta fact about invoices" });
    clock.advance({ hours: 24 });
    await env.loci.memory.search({ namespace: "r", query: "alpha", mode: "keyword" }); // touches a only
    clock.advance({ hours: 24 });
    const hits = await env.loci.memory.search({ namespace: "r", query: "fact invoices", mode: "keyword" });
    expect(hits.find((h) => h.memory.id === a.id)!.scores.retention).toBeCloseTo(0.5, 10);
    expect(hits.find((h) => h.memory.id === b.id)!.scores.retention).toBeCloseTo(0.25, 10);
    await env.reopen({ clock });
    const stored = await env.loci.memory.get({ namespace: "r", id: a.id });
    expect(stored.accessCount).toBe(2);
    expect(stored.lastAccessedAt).toBe(new Date(clock.now()).toISOString());
  });

  it("recencyWeight 0.8 puts the newest high-severity event first among matches", async () => {
    const clock = new ManualClock();
    env = await openTempEngine({ clock });
    const events: string[] = [];
    for (let i = 0; i < 6; i++) {
      const m = await env.loci.memory.add({
        namespace: "events",
        content: `severity high: payment gateway error burst ${i}${i === 0 ? " payment gateway error" : ""}`,
        metadata: { severity: "high" },
      });
      events.push(m.id);
      await env.loci.memory.add({
        namespace: "events",
        content: "severity low: payment gateway latency blip",
        metadata: { severity: "low" },
      });
      clock.advance({ hours: 24 });
    }
    const q = { namespace: "events", query: "payment gateway error", metadataFilter: { severity: "high" } };
    const relevance = await env.loci.memory.search(q);
    expect(relevance[0]!.memory.id).toBe(events[0]);
    const recent = await env.loci.memory.search({ ...q, recencyWeight: 0.8 });
    expect(recent[0]!.memory.id).toBe(events[5]);
    expect(recent.every((h) => h.memory.metadata.severity === "high")).toBe(true);
  });
});

describe("maxMemories", () => {
  it("keeps exactly maxMemories under concurrent writers and evicts the oldest, with events", async () => {
    env = await openTempEngine();
    await env.loci.namespace.create({ name: "cap", config: { maxMemories: 50 } });
    const evicted: LociEvent[] = [];
    await env.loci.events.subscribe({ namespace: "cap", types: ["memory.evicted"] }, (e) => {
      evicted.push(e);
    });
    const base = Date.UTC(2026, 0, 1);
    const order = Array.from({ length: 200 }, (_, i) => i).sort(() => Math.random() - 0.5);
    await Promise.all(
      order.map((i) =>
        env.loci.memory.add({
          namespace: "cap",
          content: `event ${i}`,
          createdAt: base + i * 1000,
          metadata: { i },
        }),
      ),
    );
    const page = await env.loci.memory.list({ namespace: "cap", limit: 1000 });
    expect(page.items).toHaveLength(50);
    expect(page.items.map((m) => m.metadata.i as number).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, k) => 150 + k),
    );
    expect((await env.loci.namespace.get({ namespace: "cap" })).memoryCount).toBe(50);
    await new Promise((r) => setTimeout(r, 20));
    expect(evicted).toHaveLength(150);
    expect(new Set(evicted.map((e) => e.id)).size).toBe(150);
  });

  it("evicts the lowest retention first: low importance decays out before high importance", async () => {
    const clock = new ManualClock();
    env = await openTempEngine({ clock });
    await env.loci.namespace.create({
      name: "cap",
      config: {
        maxMemories: 2,
        decayStrategy: "exponential",
        decayHalfLifeHours: 24,
        reinforceOnAccess: false,
      },
    });
    const keep = await env.loci.memory.add({ namespace: "cap", content: "important", importance: 1 });
    const drop = await env.loci.memory.add({ namespace: "cap", content: "trivial", importance: 0 });
    clock.advance({ hours: 12 });
    const fresh = await env.loci.memory.add({ namespace: "cap", content: "new" });
    const ids = (await env.loci.memory.list({ namespace: "cap" })).items.map((m) => m.id);
    expect(ids.sort()).toEqual([keep.id, fresh.id].sort());
    expect(ids).not.toContain(drop.id);
  });
});

describe("expiry", () => {
  it("hides expired memories everywhere and purges them in the sweep, emitting memory.expired", async () => {
    const clock = new ManualClock();
    env = await openTempEngine({ clock, sweepIntervalMs: 0 });
    const seen: LociEvent[] = [];
    await env.loci.namespace.create({ name: "x" });
    await env.loci.events.subscribe({ namespace: "x", types: ["memory.expired"] }, (e) => {
      seen.push(e);
    });
    const gone = await env.loci.memory.add({
      namespace: "x",
      content: "short lived token abc",
      expiresAt: clock.now() + 1000,
    });
    const stays = await env.loci.memory.add({ namespace: "x", content: "long lived token abc" });
    clock.advance(1000);
    expect(
      (await env.loci.memory.search({ namespace: "x", query: "token abc" })).map((h) => h.memory.id),
    ).toEqual([stays.id]);
    await expect(env.loci.memory.get({ namespace: "x", id: gone.id })).rejects.toMatchObject({
      code: "MEMORY_NOT_FOUND",
    });
    expect(await env.loci.sweepExpired()).toBe(1);
    expect(await env.loci.sweepExpired()).toBe(0);
    await new Promise((r) => setTimeout(r, 10));
    expect(seen.map((e) => e.id)).toEqual([gone.id]);
    expect((await env.loci.namespace.get({ namespace: "x" })).memoryCount).toBe(1);
  });
});

describe("removed memories", () => {
  it("get tells how a memory went: deleted, evicted, expired (before and after the purge), never stored", async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    env = await openTempEngine({ clock, sweepIntervalMs: 0 });
    await env.loci.namespace.create({ name: "r", config: { maxMemories: 2 } });
    const removedOf = async (id: string) => {
      const err = await env.loci.memory.get({ namespace: "r", id }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: "MEMORY_NOT_FOUND" });
      return { removed: (err as { details?: { removed?: unknown } }).details?.removed, err: err as Error };
    };
    const deleted = await env.loci.memory.add({ namespace: "r", content: "one" });
    clock.advance(1000);
    const deletedAt = clock.now();
    await env.loci.memory.delete({ namespace: "r", id: deleted.id });
    const { removed, err } = await removedOf(deleted.id);
    expect(removed).toEqual({ reason: "deleted", at: new Date(deletedAt).toISOString() });
    expect(err.message).toMatch(/was deleted at/);

    const evicted = await env.loci.memory.add({ namespace: "r", content: "two" });
    clock.advance(1000);
    await env.loci.memory.add({ namespace: "r", content: "three" });
    clock.advance(1000);
    await env.loci.memory.add({ namespace: "r", content: "four" });
    expect((await removedOf(evicted.id)).removed).toMatchObject({ reason: "evicted" });

    await env.loci.namespace.configure({ namespace: "r", maxMemories: null });
    const expiresAt = clock.now() + 500;
    const expiring = await env.loci.memory.add({ namespace: "r", content: "five", expiresAt });
    clock.advance(1000);
    const beforePurge = await removedOf(expiring.id);
    expect(beforePurge.removed).toEqual({ reason: "expired", at: new Date(expiresAt).toISOString() });
    expect(await env.loci.sweepExpired()).toBe(1);
    expect((await removedOf(expiring.id)).removed).toMatchObject({ reason: "expired" });

    // update says the same as get.
    const updateOf = async (id: string) =>
      (await env.loci.memory.update({ namespace: "r", id, importance: 0.9 }).then(
        () => null,
        (e: unknown) => e,
      )) as { code: string; details?: { removed?: unknown } };
    expect(await updateOf(deleted.id)).toMatchObject({
      code: "MEMORY_NOT_FOUND",
      details: { removed: { reason: "deleted", at: new Date(deletedAt).toISOString() } },
    });
    expect((await updateOf(evicted.id))?.details?.removed).toMatchObject({ reason: "evicted" });
    const expiringSoon = await env.loci.memory.add({
      namespace: "r",
      content: "six",
      expiresAt: clock.now() + 10,
    });
    clock.advance(100);
    expect((await updateOf(expiringSoon.id))?.details?.removed).toEqual({
      reason: "expired",
      at: new Date(clock.now() - 90).toISOString(),
    });
    expect((await updateOf("never-stored"))?.details).toBeUndefined();

    const never = await removedOf("never-stored");
    expect(never.removed).toBeUndefined();
    expect(never.err.message).toMatch(/not found/);
    // The same id added again is stored and readable.
    const back = await env.loci.memory.add({ namespace: "r", id: deleted.id, content: "one again" });
    expect((await env.loci.memory.get({ namespace: "r", id: back.id })).content).toBe("one again");
  });
});
